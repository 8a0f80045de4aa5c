package roll_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ownervote/ownervote/l10n"
	"github.com/ownervote/ownervote/roll"
	"github.com/ownervote/ownervote/store"
	"github.com/ownervote/ownervote/tally"
)

func TestCorrectAreas(t *testing.T) {
	ctx := context.Background()
	b, _ := newBook(t)
	if _, err := b.CreateCommunity(ctx, roll.Community{ID: "cm1", Name: "测试小区", StreetOffice: "街道"}); err != nil {
		t.Fatal(err)
	}
	_, err := b.Import(ctx, "cm1", []roll.UnitInput{
		person("1-1-101", "80.00", owner(1, "甲")),
		{ID: "1-1-102", Contract: "90.00", Kind: roll.Person, Owners: []roll.OwnerInput{owner(2, "乙")}},
		{ID: "1-1-103", Registered: "70.00", Kind: roll.DeveloperUnsold},
	})
	if err != nil {
		t.Fatal(err)
	}
	staff := roll.Actor{TokenID: "tok-s", Label: "社区 甲"}
	total := func() tally.Figures {
		t.Helper()
		c, err := b.Community(ctx, "cm1")
		if err != nil {
			t.Fatal(err)
		}
		return c.Figures.Total
	}
	area := func(s string) *tally.Area {
		a, err := tally.ParseArea(s)
		if err != nil {
			t.Fatal(err)
		}
		return &a
	}
	if got := total(); got.Area != 24000 || got.Head != 3 {
		t.Fatalf("figures before: %+v", got)
	}

	doc := strings.Repeat("ab", 32)
	e, f, err := b.CorrectAreas(ctx, "cm1", "1-1-101", roll.AreasInput{Registered: "85.50"}, staff, "登记面积录入错误", doc)
	if err != nil {
		t.Fatal(err)
	}
	if *e.Before.Registered != *area("80.00") || *e.After.Registered != *area("85.50") || e.After.Surveyed != nil || e.UnitID != "1-1-101" ||
		e.Reason != "登记面积录入错误" || e.Document != doc || e.TokenID != "tok-s" || e.Label != "社区 甲" || e.Seq == 0 {
		t.Errorf("correction = %+v", e)
	}
	if f.Total.Area != 24550 || f.Total.Head != 3 || total() != f.Total {
		t.Errorf("figures after the correction: %+v returned, %+v stored; want 245.50 m², 3", f.Total, total())
	}
	// A registered area that came later counts before the contract's,
	// which stays on record.
	e2, f, err := b.CorrectAreas(ctx, "cm1", "1-1-102", roll.AreasInput{Registered: "88.00", Contract: " 90.00 "}, staff, "取得不动产登记", "")
	if err != nil {
		t.Fatal(err)
	}
	if e2.After.Effective() != 8800 || e2.Before.Effective() != 9000 || *e2.After.Contract != 9000 || f.Total.Area != 24350 {
		t.Errorf("second correction %+v, total %v", e2, f.Total.Area)
	}
	units, err := b.Units(ctx, "cm1")
	if err != nil {
		t.Fatal(err)
	}
	if units[0].Area() != 8550 || units[1].Area() != 8800 || units[2].Area() != 7000 {
		t.Errorf("units' areas now %v, %v, %v", units[0].Area(), units[1].Area(), units[2].Area())
	}

	for _, tc := range []struct {
		name, community, unit string
		in                    roll.AreasInput
		reason, doc           string
		want                  error
		says                  string
	}{
		{"a unit not on the roll", "cm1", "1-1-109", roll.AreasInput{Registered: "80.00"}, "录入错误", "", roll.ErrUnitNotFound, "不在本小区名册上"},
		{"another community", "cm9", "1-1-101", roll.AreasInput{Registered: "80.00"}, "录入错误", "", roll.ErrCommunityNotFound, ""},
		{"no area", "cm1", "1-1-101", roll.AreasInput{}, "录入错误", "", roll.ErrBadArea, "没有面积"},
		{"an area that is no number", "cm1", "1-1-101", roll.AreasInput{Registered: "85,50"}, "录入错误", "", roll.ErrBadArea, "登记面积：面积须为平方米数"},
		{"an area past any unit's", "cm1", "1-1-101", roll.AreasInput{Surveyed: "855000"}, "录入错误", "", roll.ErrBadArea, "实测面积：面积超过一套专有部分可能的面积"},
		{"no reason", "cm1", "1-1-101", roll.AreasInput{Registered: "86.00"}, " ", "", roll.ErrInvalid, "更正面积的理由"},
		{"a phone number in the reason", "cm1", "1-1-101", roll.AreasInput{Registered: "86.00"}, "业主13812345678来电", "", roll.ErrInvalid, ""},
		{"a bad document hash", "cm1", "1-1-101", roll.AreasInput{Registered: "86.00"}, "录入错误", "ABCD", roll.ErrInvalid, "SHA-256"},
		{"the areas it has", "cm1", "1-1-101", roll.AreasInput{Registered: "85.5"}, "录入错误", "", roll.ErrInvalid, "无需更正"},
		{"an owner's name in the reason", "cm1", "1-1-101", roll.AreasInput{Registered: "86.00"}, "业主甲提供房产证", "", roll.ErrInvalid, "理由中不要写业主姓名"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := b.CorrectAreas(ctx, tc.community, tc.unit, tc.in, staff, tc.reason, tc.doc)
			if !errors.Is(err, tc.want) || !strings.Contains(l10n.Of(err), tc.says) {
				t.Errorf("CorrectAreas = %v (%s), want %v saying %q", err, l10n.Of(err), tc.want, tc.says)
			}
			if got := total(); got.Area != 24350 {
				t.Errorf("figures changed by a refused correction: %+v", got)
			}
		})
	}

	// A unit imported before areas were bounded keeps what it has: a
	// correction may add to it, but not set another such area.
	if err := roll.ImportAsBefore(ctx, b, "cm1", []roll.UnitInput{{ID: "9-1-101", Registered: "150000.00", Kind: roll.DeveloperUnsold}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.CorrectAreas(ctx, "cm1", "9-1-101", roll.AreasInput{Registered: "150000.00", Surveyed: "150.00"}, staff, "补录实测面积", ""); err != nil {
		t.Errorf("a correction keeping an area imported before the bound: %v", err)
	}
	if _, _, err := b.CorrectAreas(ctx, "cm1", "9-1-101", roll.AreasInput{Registered: "200000.00"}, staff, "录入错误", ""); !errors.Is(err, roll.ErrBadArea) || !strings.Contains(l10n.Of(err), "登记面积：面积超过") {
		t.Errorf("a correction to another area past the bound: %v (%s), want it refused", err, l10n.Of(err))
	}
	if _, _, err := b.CorrectAreas(ctx, "cm1", "9-1-101", roll.AreasInput{Registered: "150.00"}, staff, "录入错误：小数点", ""); err != nil {
		t.Fatal(err)
	}

	list, next, err := b.RollChanges(ctx, "cm1", 0, 10)
	if err != nil || next != 0 || len(list) != 4 || list[0].UnitID != "1-1-101" || list[1].UnitID != "1-1-102" || list[3].UnitID != "9-1-101" ||
		list[1].Before.Effective() != 9000 || list[1].After.Effective() != 8800 || list[0].Document != doc {
		t.Fatalf("RollChanges = %+v, %d, %v; want the two corrections, oldest first, as made", list, next, err)
	}
	if page, next, err := b.RollChanges(ctx, "cm1", 0, 1); err != nil || len(page) != 1 || next != list[0].Seq {
		t.Errorf("first page of one: %d corrections, next %d, %v", len(page), next, err)
	}
	if reveals, _, err := b.PhoneReveals(ctx, "cm1", 0, 10); err != nil || len(reveals) != 0 {
		t.Errorf("PhoneReveals lists %d entries (%v), want none: corrections are not reveals", len(reveals), err)
	}
}

func TestCorrectOwner(t *testing.T) {
	ctx := context.Background()
	b, _ := newBook(t)
	if _, err := b.CreateCommunity(ctx, roll.Community{ID: "cm1", Name: "测试小区", StreetOffice: "街道"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Import(ctx, "cm1", []roll.UnitInput{person("1-1-101", "80.00", owner(1, "张三")), person("1-1-102", "80.00", owner(2, "李四"))}); err != nil {
		t.Fatal(err)
	}
	staff := roll.Actor{TokenID: "tok-s", Label: "社区 甲"}
	zhang := roll.OwnerID(ident(t).Hash(idNumber(1)))

	e, err := b.CorrectOwner(ctx, "cm1", zhang, roll.OwnerFix{Phone: "139 1234 5678"}, staff, "业主更换手机号码")
	if err != nil {
		t.Fatal(err)
	}
	want := roll.OwnerChange{NameBefore: "张三", NameAfter: "张三", MaskedPhoneBefore: "100****5001", MaskedPhoneAfter: "139****5678", PhoneChanged: true}
	if e.Owner != want || e.OwnerID != zhang || e.Reason != "业主更换手机号码" || e.TokenID != "tok-s" || e.Seq == 0 {
		t.Errorf("correction = %+v, want %+v", e, want)
	}
	if p, err := b.RevealPhone(ctx, "cm1", zhang, staff, "电话动员"); err != nil || p != "13912345678" {
		t.Errorf("the phone number after the correction: %q, %v", p, err)
	}
	// A name as the identity document gives it: FindOwner matches it, and
	// no longer the name mistyped.
	if _, err := b.CorrectOwner(ctx, "cm1", zhang, roll.OwnerFix{Name: " 张叁 "}, staff, "姓名录入错误"); err != nil {
		t.Fatal(err)
	}
	if o, err := b.FindOwner(ctx, "cm1", "张叁", idNumber(1), staff); err != nil || o.ID != zhang {
		t.Errorf("FindOwner by the corrected name: %+v, %v", o, err)
	}
	if _, err := b.FindOwner(ctx, "cm1", "张三", idNumber(1), staff); !errors.Is(err, roll.ErrOwnerNotFound) {
		t.Errorf("FindOwner by the name before: %v, want ErrOwnerNotFound", err)
	}
	if _, err := b.CorrectOwner(ctx, "cm1", zhang, roll.OwnerFix{RemovePhone: true}, staff, "号码已停用"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.RevealPhone(ctx, "cm1", zhang, staff, "电话动员"); !errors.Is(err, roll.ErrNoPhone) {
		t.Errorf("reveal after the phone number was removed: %v, want ErrNoPhone", err)
	}

	for _, tc := range []struct {
		name, owner string
		fix         roll.OwnerFix
		reason      string
		want        error
		says        string
	}{
		{"an owner not on the roll", "o-unknown", roll.OwnerFix{Phone: "13912345678"}, "换号", roll.ErrOwnerNotFound, ""},
		{"nothing to correct", zhang, roll.OwnerFix{}, "换号", roll.ErrInvalid, "请填写更正后的姓名或联系电话"},
		{"a phone and its removal", zhang, roll.OwnerFix{Phone: "13912345678", RemovePhone: true}, "换号", roll.ErrInvalid, "只能选一项"},
		{"a phone that is none", zhang, roll.OwnerFix{Phone: "12345"}, "换号", roll.ErrInvalid, "联系电话格式不正确"},
		{"two people in a name", zhang, roll.OwnerFix{Name: "张三、李四"}, "姓名录入错误", roll.ErrInvalid, "一格只填一位业主"},
		{"a space in a name", zhang, roll.OwnerFix{Name: "欧阳 娜娜"}, "姓名录入错误", roll.ErrInvalid, "姓名中有空格：一位业主请删去空格"},
		{"no reason", zhang, roll.OwnerFix{Name: "张三"}, "", roll.ErrInvalid, "更正业主信息的理由"},
		{"what it has", zhang, roll.OwnerFix{Name: "张叁", RemovePhone: true}, "核对", roll.ErrInvalid, "无需更正"},
		{"the name before in the reason", zhang, roll.OwnerFix{Name: "张三丰"}, "张叁应为张三丰", roll.ErrInvalid, "理由中不要写业主姓名"},
		{"the name after in the reason", zhang, roll.OwnerFix{Name: "张三丰"}, "改为张三丰", roll.ErrInvalid, "理由中不要写业主姓名"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := b.CorrectOwner(ctx, "cm1", tc.owner, tc.fix, staff, tc.reason); !errors.Is(err, tc.want) || !strings.Contains(l10n.Of(err), tc.says) {
				t.Errorf("CorrectOwner = %v (%s), want %v saying %q", err, l10n.Of(err), tc.want, tc.says)
			}
		})
	}

	list, _, err := b.RollChanges(ctx, "cm1", 0, 10)
	if err != nil || len(list) != 3 || list[1].Owner.NameBefore != "张三" || list[1].Owner.NameAfter != "张叁" || list[1].Owner.PhoneChanged ||
		list[2].Owner.MaskedPhoneBefore != "139****5678" || list[2].Owner.MaskedPhoneAfter != "" || !list[2].Owner.PhoneChanged {
		t.Fatalf("RollChanges = %+v, %v", list, err)
	}
	log, err := b.AccessLog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s := fmt.Sprintf("%+v", log); strings.Contains(s, "13912345678") || strings.Contains(s, "10012345001") {
		t.Error("the access log holds a full phone number")
	}
}

func TestWithdrawUnit(t *testing.T) {
	ctx := context.Background()
	b, st := newBook(t)
	if _, err := b.CreateCommunity(ctx, roll.Community{ID: "cm1", Name: "测试小区", StreetOffice: "街道"}); err != nil {
		t.Fatal(err)
	}
	jia := owner(1, "甲")
	parking := person("P-001", "12.00", owner(3, "丙"))
	if _, err := b.Import(ctx, "cm1", []roll.UnitInput{person("1-1-101", "80.00", jia), person("1-1-102", "60.50", jia), person("1-1-103", "70.00", owner(2, "乙")), parking}); err != nil {
		t.Fatal(err)
	}
	figures := func() roll.Figures {
		t.Helper()
		c, err := b.Community(ctx, "cm1")
		if err != nil {
			t.Fatal(err)
		}
		return c.Figures
	}
	if f := figures(); f.Units != 4 || f.Total.Area != 22250 || f.Total.Head != 3 {
		t.Fatalf("figures before: %+v", f)
	}
	staff := roll.Actor{TokenID: "tok-s", Label: "社区 甲"}
	bing, jiaID := roll.OwnerID(ident(t).Hash(idNumber(3))), roll.OwnerID(ident(t).Hash(idNumber(1)))
	withdraw := func(unit, reason string) (e roll.AccessEntry, f roll.Figures, err error) {
		err = st.Update(ctx, func(tx store.Tx) error {
			var err error
			e, f, err = b.WithdrawUnitTx(tx, "cm1", unit, staff, reason)
			return err
		})
		return e, f, err
	}

	e, f, err := withdraw("P-001", "车位误录为专有部分")
	if err != nil {
		t.Fatal(err)
	}
	if e.Action != roll.UnitWithdrawalAction || e.UnitID != "P-001" || e.Before.Effective() != 1200 || e.Kind != roll.Person ||
		len(e.Owners) != 1 || e.Owners[0] != bing || e.Reason != "车位误录为专有部分" || e.Seq == 0 {
		t.Errorf("withdrawal = %+v", e)
	}
	if f.Units != 3 || f.Total.Area != 21050 || f.Total.Head != 2 || figures() != f {
		t.Errorf("figures after: %+v returned, %+v stored", f, figures())
	}
	// Its owner stays an owner of record, of no unit now.
	if o, err := b.Owner(ctx, "cm1", bing); err != nil || len(o.Units) != 0 {
		t.Errorf("the withdrawn unit's owner: %+v, %v; want on record with no unit", o, err)
	}
	// An owner of several keeps the others.
	if _, _, err := withdraw("1-1-102", "重复录入"); err != nil {
		t.Fatal(err)
	}
	if o, err := b.Owner(ctx, "cm1", jiaID); err != nil || fmt.Sprint(o.Units) != "[1-1-101]" {
		t.Errorf("owner of two units after one was withdrawn: %+v, %v", o, err)
	}
	if f := figures(); f.Units != 2 || f.Total.Area != 15000 || f.Total.Head != 2 || f.MultiUnitOwners != 0 {
		t.Errorf("figures after the second: %+v", f)
	}
	for _, tc := range []struct {
		name, unit, reason string
		want               error
	}{
		{"a unit not on the roll", "P-001", "再次撤回", roll.ErrUnitNotFound},
		{"no reason", "1-1-103", "", roll.ErrInvalid},
		{"an owner's name in the reason", "1-1-103", "乙的房屋重复录入", roll.ErrInvalid},
	} {
		if _, _, err := withdraw(tc.unit, tc.reason); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	if f := figures(); f.Units != 2 {
		t.Errorf("a refused withdrawal changed the figures: %+v", f)
	}
	list, _, err := b.RollChanges(ctx, "cm1", 0, 10)
	if err != nil || len(list) != 2 || list[0].Action != roll.UnitWithdrawalAction || list[1].UnitID != "1-1-102" || list[1].Owners[0] != jiaID {
		t.Errorf("RollChanges = %+v, %v; want the two withdrawals", list, err)
	}
	// A unit withdrawn may be imported again, its owner found as before.
	if res, err := b.Import(ctx, "cm1", []roll.UnitInput{parking}); err != nil || res.NewOwners != 0 {
		t.Errorf("the unit imported again: %+v, %v", res, err)
	}
}

// A developer-held unit and a co-owned one are withdrawn as others are:
// the figures follow the statutory rules (developer units one person
// together, co-owners one).
func TestWithdrawDeveloperAndCoOwnedUnits(t *testing.T) {
	ctx := context.Background()
	b, st := newBook(t)
	if _, err := b.CreateCommunity(ctx, roll.Community{ID: "cm1", Name: "测试小区", StreetOffice: "街道"}); err != nil {
		t.Fatal(err)
	}
	rep := owner(2, "乙")
	rep.Representative = true
	_, err := b.Import(ctx, "cm1", []roll.UnitInput{
		person("1-1-101", "80.00", owner(1, "甲")),
		person("1-1-201", "90.00", rep, owner(3, "丙")),
		{ID: "2-1-101", Registered: "50.00", Kind: roll.DeveloperUnsold},
		{ID: "2-1-102", Registered: "55.00", Kind: roll.SoldUndelivered},
	})
	if err != nil {
		t.Fatal(err)
	}
	staff := roll.Actor{TokenID: "tok-s", Label: "社区 甲"}
	withdraw := func(unit string) roll.Figures {
		t.Helper()
		var f roll.Figures
		if err := st.Update(ctx, func(tx store.Tx) error {
			var err error
			_, f, err = b.WithdrawUnitTx(tx, "cm1", unit, staff, "误录")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return f
	}
	if f := withdraw("2-1-101"); f.Total.Head != 3 || f.DeveloperUnits != 1 || f.DeveloperArea != 5500 || f.Total.Area != 22500 {
		t.Errorf("after a developer unit: %+v; the other still one person", f)
	}
	if f := withdraw("2-1-102"); f.Total.Head != 2 || f.DeveloperUnits != 0 || f.Total.Area != 17000 {
		t.Errorf("after the last developer unit: %+v", f)
	}
	if f := withdraw("1-1-201"); f.Total.Head != 1 || f.CoOwnedUnits != 0 || f.Total.Area != 8000 {
		t.Errorf("after the co-owned unit: %+v", f)
	}
	for _, n := range []int{2, 3} {
		if o, err := b.Owner(ctx, "cm1", roll.OwnerID(ident(t).Hash(idNumber(n)))); err != nil || len(o.Units) != 0 {
			t.Errorf("co-owner %d after the withdrawal: %+v, %v", n, o, err)
		}
	}
	// An owner of no unit is told so when a key is registered for them.
	pub := make([]byte, 32)
	pub[0] = 1
	if _, err := b.RegisterKey(ctx, "cm1", roll.OwnerID(ident(t).Hash(idNumber(2))), pub, staff); !errors.Is(err, roll.ErrNotVoter) || !strings.Contains(err.Error(), "holds no unit") {
		t.Errorf("RegisterKey for an owner of no unit: %v", err)
	}
}

// A sale recorded on the roll: the previous owners no longer hold the
// unit, a developer's sale shows what the unit was, and a "sale" to the
// owners it has is refused with nothing written.
func TestTransferRecordedTx(t *testing.T) {
	ctx := context.Background()
	b, st := newBook(t)
	if _, err := b.CreateCommunity(ctx, roll.Community{ID: "cm1", Name: "测试小区", StreetOffice: "街道"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Import(ctx, "cm1", []roll.UnitInput{person("1-1-101", "80.00", owner(1, "甲")), {ID: "2-1-101", Registered: "50.00", Kind: roll.DeveloperUnsold}}); err != nil {
		t.Fatal(err)
	}
	staff := roll.Actor{TokenID: "tok-s", Label: "社区 甲"}
	doc := strings.Repeat("cd", 32)
	transfer := func(unit string, owners ...roll.OwnerInput) (e roll.AccessEntry, f roll.Figures, err error) {
		err = st.Update(ctx, func(tx store.Tx) error {
			var err error
			e, f, _, err = b.TransferRecordedTx(tx, "cm1", unit, owners, staff, doc, time.Now())
			return err
		})
		return e, f, err
	}
	jia, yi := roll.OwnerID(ident(t).Hash(idNumber(1))), roll.OwnerID(ident(t).Hash(idNumber(2)))
	if _, _, err := transfer("1-1-101", owner(1, "甲")); !errors.Is(err, roll.ErrInvalid) || !strings.Contains(l10n.Of(err), "无需过户") {
		t.Errorf("a transfer to the owner it has: %v", err)
	}
	e, f, err := transfer("1-1-101", owner(2, "乙"))
	if err != nil {
		t.Fatal(err)
	}
	if e.Kind != roll.Person || fmt.Sprint(e.Owners) != "["+jia+"]" || fmt.Sprint(e.NewOwners) != "["+yi+"]" || e.Document != doc || f.Total.Head != 2 {
		t.Errorf("transfer = %+v, figures %+v", e, f)
	}
	if o, err := b.Owner(ctx, "cm1", jia); err != nil || len(o.Units) != 0 {
		t.Errorf("the seller: %+v, %v; want no unit", o, err)
	}
	e, f, err = transfer("2-1-101", owner(1, "甲"))
	if err != nil {
		t.Fatal(err)
	}
	if e.Kind != roll.DeveloperUnsold || len(e.Owners) != 0 || fmt.Sprint(e.NewOwners) != "["+jia+"]" || f.Total.Head != 2 || f.DeveloperUnits != 0 {
		t.Errorf("the developer's sale = %+v, figures %+v", e, f)
	}
	list, _, err := b.RollChanges(ctx, "cm1", 0, 10)
	if err != nil || len(list) != 2 || list[0].Action != roll.UnitTransferAction {
		t.Errorf("RollChanges = %+v, %v; want the two sales, and not the one refused", list, err)
	}
}

// TestSetRepresentativeOfAnOlderRoll: co-owners who hold two units, which
// a roll stored before one representative was required names with two,
// get one; each unit's change records its own representative before, and
// the unit that had the new one already is left as it was.
func TestSetRepresentativeOfAnOlderRoll(t *testing.T) {
	ctx := context.Background()
	b, st := newBook(t)
	if _, err := b.CreateCommunity(ctx, roll.Community{ID: "cm1", Name: "测试小区", StreetOffice: "街道"}); err != nil {
		t.Fatal(err)
	}
	jiaRep, yi := owner(1, "甲"), owner(2, "乙")
	jiaRep.Representative = true
	if _, err := b.Import(ctx, "cm1", []roll.UnitInput{person("1-1-101", "80.00", jiaRep, yi), person("1-1-102", "60.00", jiaRep, yi)}); err != nil {
		t.Fatal(err)
	}
	jia, yiID := roll.OwnerID(ident(t).Hash(idNumber(1))), roll.OwnerID(ident(t).Hash(idNumber(2)))
	// 1-1-102 as an older roll could have it: 乙 its representative.
	if err := st.Update(ctx, func(tx store.Tx) error {
		var u map[string]any
		if _, err := store.GetJSON(tx, store.Units, store.Key("cm1", "1-1-102"), &u); err != nil {
			return err
		}
		for _, o := range u["owners"].([]any) {
			o := o.(map[string]any)
			if o["owner_id"] == yiID {
				o["representative"] = true
			} else {
				delete(o, "representative")
			}
		}
		return store.PutJSON(tx, store.Units, store.Key("cm1", "1-1-102"), u)
	}); err != nil {
		t.Fatal(err)
	}
	if err := st.Update(ctx, func(tx store.Tx) error {
		_, _, err := b.SetRepresentativeTx(tx, "cm1", "1-1-101", yiID, roll.Actor{TokenID: "tok-s", Label: "社区"}, "协商一致", strings.Repeat("ab", 32))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	list, _, err := b.RollChanges(ctx, "cm1", 0, 10)
	if err != nil || len(list) != 1 || list[0].UnitID != "1-1-101" || fmt.Sprint(list[0].Owners) != "["+jia+"]" || list[0].OwnerID != yiID ||
		list[0].Owner.NameBefore != "甲" || list[0].Owner.NameAfter != "乙" {
		t.Errorf("RollChanges = %+v, %v; want 1-1-101's change from 甲 alone", list, err)
	}
	units, err := b.Units(ctx, "cm1")
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range units {
		if u.Voter() != yiID {
			t.Errorf("%s is voted by %s, want 乙", u.ID, u.Voter())
		}
	}
}
