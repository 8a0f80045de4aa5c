package roll

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ownervote/ownervote/ballot"
	"github.com/ownervote/ownervote/l10n"
	"github.com/ownervote/ownervote/tally"
)

// UnitInput is a unit to import, as given by a roster or the API.
type UnitInput struct {
	ID string
	// Areas in m² with at most two decimals; "" where the roster has none.
	Registered, Surveyed, Contract string
	// Kind defaults to Person when empty.
	Kind   Kind
	Owners []OwnerInput
}

// OwnerInput is an owner of record as given at import.
type OwnerInput struct {
	Name           string
	IDNumber       string
	Phone          string
	Representative bool
}

// Problem is one reason an import is refused.
type Problem struct {
	// Unit is the index of the unit in the input.
	Unit int
	// Owner is the index of the owner within the unit, or -1 for the unit's
	// own fields.
	Owner int
	// Field is the input field: unit_id, registered_area_m2,
	// surveyed_area_m2, contract_area_m2, kind, owners, name, id_number,
	// phone or representative.
	Field string
	// Reason says what is wrong, in English.
	Reason string
	// ZH says it in Chinese, for the staff who fix the roster.
	ZH string
	// Err is the sentinel error for the kind of problem.
	Err error
	// transfer: the problem is of a unit's transfer to new owners
	// (Book.TransferRecordedTx), not of an import.
	transfer bool
	// Other is the other place a conflict names in Reason (as its Path),
	// for a file's rows to replace.
	Other *Problem
	// onRoll are the owners on the roll the problem's identity numbers
	// matched (a conflict with the stored roll): the refusal tells that the
	// numbers are on the roll, which Book.RecordIdentityMatches records.
	onRoll []string
}

// Path names the problem's place in an API request, e.g.
// "units[3].owners[0].id_number" in an import, "new_owners[0].name" in a
// transfer.
func (p Problem) Path() string {
	switch {
	case p.transfer && p.Owner >= 0:
		return fmt.Sprintf("new_owners[%d].%s", p.Owner, p.Field)
	case p.transfer && p.Field == "owners":
		return "new_owners"
	case p.transfer:
		return p.Field
	case p.Owner >= 0:
		return fmt.Sprintf("units[%d].owners[%d].%s", p.Unit, p.Owner, p.Field)
	}
	return fmt.Sprintf("units[%d].%s", p.Unit, p.Field)
}

func (p Problem) String() string { return p.Path() + ": " + p.Reason }

// ImportError lists every problem of a refused import. It matches
// ErrInvalidImport and the sentinel of each problem under errors.Is.
type ImportError struct {
	Problems []Problem
}

func (e *ImportError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "import refused, %d problem(s), nothing written", len(e.Problems))
	for i, p := range e.Problems {
		if i == 10 {
			fmt.Fprintf(&b, "; and %d more", len(e.Problems)-10)
			break
		}
		b.WriteString("; ")
		b.WriteString(p.String())
	}
	return b.String()
}

// OwnersMatched returns the owners on the roll whose identity numbers the
// refusal tells were given under another name or phone (or as the same
// co-owners under another representative), each once.
func (e *ImportError) OwnersMatched() []string {
	var out []string
	for _, p := range e.Problems {
		for _, o := range p.onRoll {
			if !slices.Contains(out, o) {
				out = append(out, o)
			}
		}
	}
	return out
}

// Unwrap returns ErrInvalidImport and the problems' sentinels.
func (e *ImportError) Unwrap() []error {
	errs := []error{ErrInvalidImport}
	for _, p := range e.Problems {
		if p.Err != nil && !slices.Contains(errs, p.Err) {
			errs = append(errs, p.Err)
		}
	}
	return errs
}

// Batch is a validated import: units and the owners they name.
type Batch struct {
	Units []Unit
	// Owners by owner id, with the units of this batch only.
	Owners map[string]*Owner
}

const maxNameLen = 64

// nameSeparators are what lists people in one cell: 张三、李四, "张三,李四",
// a line break typed with Alt-Enter.
const nameSeparators = "、，,；;/／\n\r\t"

// hanNames reports whether name is Chinese names apart, as 张三 李四 (two
// people) or 欧阳 娜娜 (one name, a space typed into it): two or more words
// of two to four Han characters each. A Han name is written without a
// space; other names, John Smith or 阿依古丽·买买提, are taken as they are.
func hanNames(name string) bool {
	words := strings.Fields(name)
	if len(words) < 2 {
		return false
	}
	for _, w := range words {
		n := utf8.RuneCountInString(w)
		if n < 2 || n > 4 || strings.ContainsFunc(w, func(r rune) bool { return !unicode.Is(unicode.Han, r) }) {
			return false
		}
	}
	return true
}

// maxUnitArea bounds one unit's area: 100,000 m² (ten hectares) is beyond
// any exclusive unit, so a larger figure is a typing mistake, and no
// community's total can overflow.
const maxUnitArea tally.Area = 100_000_00

// Build validates inputs and returns the units and owners to store. Every
// problem is reported at once in an *ImportError; nothing is guessed.
func Build(ident *Identifier, inputs []UnitInput) (*Batch, error) {
	return build(ident, inputs, false)
}

// build is Build; onRoll says the units are on the roll already (a
// transfer), their areas taken when they were imported, under the rules of
// that time.
func build(ident *Identifier, inputs []UnitInput, onRoll bool) (*Batch, error) {
	b := &Batch{Owners: make(map[string]*Owner)}
	var probs []Problem
	add := func(unit, owner int, field string, err error, zh, format string, args ...any) {
		probs = append(probs, Problem{Unit: unit, Owner: owner, Field: field, Reason: fmt.Sprintf(format, args...), ZH: zh, Err: err})
	}
	firstUnit := make(map[string]int)
	firstForm := make(map[string]int) // by UnitSpelling
	type seen struct{ unit, owner int }
	firstOwner := make(map[string]seen)

	for i, in := range inputs {
		u := Unit{ID: strings.TrimSpace(in.ID), Kind: in.Kind}
		if u.Kind == "" {
			u.Kind = Person
		}
		okUnit := true
		switch {
		case u.ID == "":
			add(i, -1, "unit_id", ErrInvalid, "房号为空", "unit id is empty")
			okUnit = false
		case !validUnitID(u.ID):
			add(i, -1, "unit_id", ErrInvalid, "房号只能包含字母、数字和 - _ .，最多40个字符", "unit id %q may hold only letters, digits, '-', '_' and '.', at most 40", echo(u.ID))
			okUnit = false
		case !onRoll && ballot.PersonalNumber(u.ID) >= 0:
			// Unit numbers are published on the notice; the id itself is
			// not echoed.
			add(i, -1, "unit_id", ErrInvalid, "房号像是电话或身份证号码：请填写房屋编号，如 3-1-201，或产权编号", "the unit id reads as a phone or identity number: give the unit's number, like 3-1-201, or its property code")
			okUnit = false
		default:
			if j, dup := firstUnit[u.ID]; dup {
				other := &Problem{Unit: j, Owner: -1, Field: "unit_id"}
				add(i, -1, "unit_id", ErrDuplicateUnit, "房号"+u.ID+"重复出现（首次在 "+other.Path()+" ）", "unit %s appears again (first at %s)", u.ID, other.Path())
				probs[len(probs)-1].Other = other
				okUnit = false
			} else if j, dup := firstForm[UnitSpelling(u.ID)]; dup {
				other := &Problem{Unit: j, Owner: -1, Field: "unit_id"}
				first := strings.TrimSpace(inputs[j].ID)
				add(i, -1, "unit_id", ErrDuplicateUnit, fmt.Sprintf("房号%s与 %s 的%s只差大小写、数字前的0或分隔符（- _ .），像是同一套房屋：同一套房屋请用同一写法；确为两套房屋的，请改用可区分的房号", u.ID, other.Path(), first),
					"unit %s differs from %s's %s only in case, leading zeros or separators ('-', '_', '.'): the same unit written two ways? Write one unit one way; two units need ids that differ otherwise", u.ID, other.Path(), first)
				probs[len(probs)-1].Other = other
				okUnit = false
			} else {
				firstUnit[u.ID] = i
				firstForm[UnitSpelling(u.ID)] = i
			}
		}
		u.Building = BuildingOf(u.ID)
		if !u.Kind.Valid() {
			add(i, -1, "kind", ErrInvalid, "类型须为 个人、未售 或 已售未交付", "kind %q is not PERSON, DEVELOPER_UNSOLD or SOLD_UNDELIVERED", in.Kind)
			okUnit = false
		}
		areas, ok := parseAreas(AreasInput{Registered: in.Registered, Surveyed: in.Surveyed, Contract: in.Contract}, onRoll,
			func(field string, err error, zh, format string, args ...any) {
				add(i, -1, field, err, zh, format, args...)
			})
		u.Registered, u.Surveyed, u.Contract = areas.Registered, areas.Surveyed, areas.Contract
		okUnit = okUnit && ok

		switch {
		case u.Kind.Developer() && len(in.Owners) > 0:
			add(i, -1, "owners", ErrInvalid, "未售或已售未交付的房屋由建设单位持有，不填业主", "a %s unit is held by the developer and takes no owner of record", u.Kind)
			okUnit = false
		case u.Kind == Person && len(in.Owners) == 0:
			add(i, -1, "owners", ErrMissingOwner, "房屋"+u.ID+"没有业主", "unit %s has no owner of record", u.ID)
			okUnit = false
		case len(in.Owners) > 1:
			reps := 0
			for _, o := range in.Owners {
				if o.Representative {
					reps++
				}
			}
			if reps != 1 {
				add(i, -1, "owners", ErrInvalid, fmt.Sprintf("共有房屋须有且只有一位代表（代表列填“是”），现有%d位", reps), "a co-owned unit needs exactly one representative, found %d", reps)
				okUnit = false
			}
		}

		unitOwners := make(map[string]bool)
		for j, oin := range in.Owners {
			okOwner := true
			name := strings.TrimSpace(oin.Name)
			if zh, en, err := nameProblem(name); err != nil {
				add(i, j, "name", err, zh, "%s", en)
				okOwner = false
			}
			var number string
			if strings.TrimSpace(oin.IDNumber) == "" {
				add(i, j, "id_number", ErrMissingOwner, "证件号码为空", "owner's identity number is empty")
				okOwner = false
			} else if n, err := NormalizeIDNumber(oin.IDNumber); err != nil {
				// The number itself is never echoed back.
				add(i, j, "id_number", ErrInvalid, "证件号码有误："+cmp.Or(l10n.Of(err), "格式不正确"), "identity number %v", err)
				okOwner = false
			} else {
				number = n
			}
			var phone string
			if strings.TrimSpace(oin.Phone) != "" {
				p, err := NormalizePhone(oin.Phone)
				if err != nil {
					add(i, j, "phone", ErrInvalid, "联系电话格式不正确", "phone %v", err)
					okOwner = false
				}
				phone = p
			}
			if !okOwner {
				okUnit = false
				continue
			}
			h := ident.Hash(number)
			id := OwnerID(h)
			legacy := ident.LegacyOwnerIDs(oin.IDNumber, number)
			if unitOwners[id] {
				add(i, j, "id_number", ErrConflictingOwner, "同一业主在房屋"+u.ID+"下列了两次", "the same owner is listed twice for unit %s", u.ID)
				okUnit = false
				continue
			}
			unitOwners[id] = true
			if o, ok := b.Owners[id]; ok {
				first := firstOwner[id]
				if o.Name != name {
					other := &Problem{Unit: first.unit, Owner: first.owner, Field: "name"}
					add(i, j, "name", ErrConflictingOwner, "同一证件号码在 "+other.Path()+" 的姓名不同：请对照证件核对姓名和号码", "the same identity number has name %q at %s and %q here", o.Name, other.Path(), name)
					probs[len(probs)-1].Other = other
					okUnit = false
					continue
				}
				if phone != "" && o.Phone != "" && o.Phone != phone {
					other := &Problem{Unit: first.unit, Owner: first.owner, Field: "phone"}
					add(i, j, "phone", ErrConflictingOwner, "同一业主在 "+other.Path()+" 的联系电话不同", "the same owner has phone %s at %s and %s here", MaskPhone(o.Phone), other.Path(), MaskPhone(phone))
					probs[len(probs)-1].Other = other
					okUnit = false
					continue
				}
				if o.Phone == "" {
					o.Phone = phone
				}
				for _, l := range legacy {
					if !slices.Contains(o.LegacyIDs, l) {
						o.LegacyIDs = append(o.LegacyIDs, l)
					}
				}
			} else {
				o := &Owner{ID: id, Name: name, Phone: phone, IDHash: h, LegacyIDs: legacy}
				b.Owners[id] = o
				firstOwner[id] = seen{i, j}
			}
			u.Owners = append(u.Owners, UnitOwner{OwnerID: id, Representative: len(in.Owners) > 1 && oin.Representative})
		}
		if okUnit {
			b.Units = append(b.Units, u)
		}
	}
	// The same co-owners of several units of the input take one
	// representative (sameBuyerProblems compares with the roll).
	type held struct {
		unit, rep int
		repID     string
	}
	firstSet := make(map[string]held)
	for _, u := range b.Units {
		if len(u.Owners) < 2 {
			continue
		}
		set, rep, repID := coOwners(u.Owners)
		h, ok := firstSet[set]
		if !ok {
			firstSet[set] = held{firstUnit[u.ID], rep, repID}
			continue
		}
		if h.repID != repID {
			other := &Problem{Unit: h.unit, Owner: h.rep, Field: "representative"}
			add(firstUnit[u.ID], rep, "representative", ErrConflictingOwner, "同一组共有人在另一套房屋的代表不同：共有人共同持有多套房屋时视为同一业主，须由同一位代表表决，请在各套房屋填写同一位代表", "the same co-owners hold the unit at %s with another representative: co-owners holding several units together are one owner (one buyer) and vote through one representative; name the same one on each unit", other.Path())
			probs[len(probs)-1].Other = other
		}
	}
	if len(probs) > 0 {
		slices.SortStableFunc(probs, func(a, b Problem) int { return a.Unit - b.Unit })
		return nil, &ImportError{Problems: probs}
	}
	for _, u := range b.Units {
		for _, o := range u.Owners {
			b.Owners[o.OwnerID].Units = append(b.Owners[o.OwnerID].Units, u.ID)
		}
	}
	for _, o := range b.Owners {
		slices.Sort(o.Units)
	}
	return b, nil
}

// nameProblem says what is wrong with an owner's name (trimmed), if
// anything: the problem in Chinese and English, and the sentinel.
func nameProblem(name string) (zh, en string, err error) {
	switch {
	case name == "":
		return "业主姓名为空", "owner's name is empty", ErrMissingOwner
	case len([]rune(name)) > maxNameLen:
		return fmt.Sprintf("业主姓名超过%d个字", maxNameLen), fmt.Sprintf("owner's name is longer than %d characters", maxNameLen), ErrInvalid
	case hanNames(name):
		// One name with a space typed into it (欧阳 娜娜), or two people.
		return "姓名中有空格：一位业主请删去空格；多位共有人请各占一行（填同一房号和面积），并在代表列注明", "owner's name holds Chinese names apart (a space): one owner's name without the space; co-owners a row each, with the unit's id and area, and the representative marked", ErrInvalid
	case strings.ContainsAny(name, nameSeparators):
		// Two people in one cell: the second would be on no roll.
		return "一格只填一位业主：共有人各占一行（填同一房号和面积），并在代表列注明", "owner's name holds a list (、 , ; / or a line break): give each co-owner a row of their own, with the unit's id and area, and mark the representative", ErrInvalid
	case ballot.PersonalNumber(name) >= 0:
		// Staff would read it in every owner list.
		return "姓名中有长数字（证件号或电话？）：姓名列只填姓名，号码填在各自的列", "owner's name holds a long number (an identity or phone number?): the name only; the numbers have columns of their own", ErrInvalid
	}
	return "", "", nil
}

// AreasInput is a unit's three areas as given: m² with at most two
// decimals, empty for none.
type AreasInput struct {
	Registered, Surveyed, Contract string
}

// Areas are a unit's three areas; nil is none.
type Areas struct {
	Registered *tally.Area `json:"registered,omitempty"`
	Surveyed   *tally.Area `json:"surveyed,omitempty"`
	Contract   *tally.Area `json:"contract,omitempty"`
}

// Effective is the area that counts: registered, else surveyed, else
// contract (DESIGN §2).
func (a Areas) Effective() tally.Area {
	return Unit{Registered: a.Registered, Surveyed: a.Surveyed, Contract: a.Contract}.Area()
}

func (a Areas) equal(b Areas) bool {
	same := func(x, y *tally.Area) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	return same(a.Registered, b.Registered) && same(a.Surveyed, b.Surveyed) && same(a.Contract, b.Contract)
}

// parseAreas reads a unit's areas, telling add of each problem; ok is
// false if there was one. onRoll says they were taken when the unit was
// imported, under the rules of that time (no upper bound).
func parseAreas(in AreasInput, onRoll bool, add func(field string, err error, zh, format string, args ...any)) (a Areas, ok bool) {
	ok = true
	for _, f := range []struct {
		name string
		in   string
		out  **tally.Area
	}{
		{"registered_area_m2", in.Registered, &a.Registered},
		{"surveyed_area_m2", in.Surveyed, &a.Surveyed},
		{"contract_area_m2", in.Contract, &a.Contract},
	} {
		s := strings.TrimSpace(f.in)
		if s == "" {
			continue
		}
		v, err := tally.ParseArea(s)
		switch {
		case err != nil:
			add(f.name, ErrBadArea, "面积须为平方米数，最多两位小数，不带单位和千位分隔符（如 89.50）", "area %q is not a decimal number of m² with at most two decimals", echo(s))
			ok = false
		case v <= 0:
			add(f.name, ErrBadArea, "面积须大于零", "area %q must be greater than zero", echo(s))
			ok = false
		case v > maxUnitArea && !onRoll:
			add(f.name, ErrBadArea, "面积超过一套专有部分可能的面积：请检查小数点", "area %q m² is more than one exclusive unit can have (%s): check the decimal point", echo(s), maxUnitArea)
			ok = false
		default:
			*f.out = &v
		}
	}
	if strings.TrimSpace(in.Registered) == "" && strings.TrimSpace(in.Surveyed) == "" && strings.TrimSpace(in.Contract) == "" {
		add("registered_area_m2", ErrBadArea, "没有面积：请填写登记面积、实测面积或合同面积", "no area: give the registered, surveyed or contract area")
		ok = false
	}
	return a, ok
}

// UnitSpelling is the form in which the spellings of one unit id agree:
// letters in upper case, every run of digits without its leading zeros,
// and '-', '_' and '.' alike. "A-101", "a_101" and "A.0101" are one unit; a
// roll holds one unit id of each form, so that no unit is counted twice
// under two spellings.
func UnitSpelling(id string) string {
	var b strings.Builder
	zeros := 0 // leading zeros of the run of digits being read
	digits := false
	for _, r := range id {
		switch {
		case r >= '0' && r <= '9':
			if !digits {
				digits, zeros = true, 0
			}
			if r == '0' && zeros >= 0 {
				zeros++
				continue
			}
			zeros = -1 // a digit other than a leading zero was written
			b.WriteRune(r)
			continue
		case r == '_' || r == '.':
			r = '-'
		case r >= 'a' && r <= 'z':
			r -= 'a' - 'A'
		}
		if digits && zeros > 0 {
			b.WriteByte('0') // the run was all zeros
		}
		digits = false
		b.WriteRune(r)
	}
	if digits && zeros > 0 {
		b.WriteByte('0')
	}
	return b.String()
}

func validUnitID(s string) bool {
	if len(s) > 40 {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// Figures are a roll's totals under the statutory counting rules.
type Figures struct {
	Units           int64
	Total           tally.Figures
	DeveloperUnits  int64
	DeveloperArea   tally.Area
	MultiUnitOwners int64
	CoOwnedUnits    int64
}

// ComputeFigures counts a whole roll. Area and headcount come from
// tally.Totals, the one implementation of SPC interpretation arts. 8–9.
func ComputeFigures(units []Unit) (Figures, error) {
	f := Figures{Units: int64(len(units))}
	tu := make([]tally.Unit, len(units))
	perOwner := make(map[string]int)
	for i, u := range units {
		tu[i] = u.TallyUnit()
		if u.Kind.Developer() {
			f.DeveloperUnits++
			f.DeveloperArea += u.Area()
		}
		if len(u.Owners) > 1 {
			f.CoOwnedUnits++
		}
		if v := u.Voter(); v != "" {
			perOwner[v]++
		}
	}
	for _, n := range perOwner {
		if n > 1 {
			f.MultiUnitOwners++
		}
	}
	t, err := tally.Totals(tu)
	if err != nil {
		return Figures{}, errors.Join(ErrInvalid, err)
	}
	f.Total = t
	return f, nil
}
