package ballot

import (
	"testing"
	"unicode/utf8"
)

func TestLongNumber(t *testing.T) {
	for _, c := range []struct {
		s  string
		at int
	}{
		{"业主本人接听，同意", -1},
		{"座机 0532-88886666", len("座机 ")},
		{"座机（0532)88886666", len("座机（")},
		{"座机 0532 8888 6666", len("座机 ")},
		{"座机 010 888 6666", len("座机 ")},
		{"010 20260512 来电", -1}, // a code and a date
		{"身份证 370212 1965 0226 1250", len("身份证 ")},
		{"身份证 370212 1965 0226 125X", len("身份证 ")},
		{"老身份证 370212 650226 125", len("老身份证 ")},
		{"手机 1395 234 0019", -1}, // 4-3-4: amounts are written so too (1500-300-2000元)
		{"1201，1202，1203，1204室业主同意", -1},
		{"1201/1202/1203/1204", -1},
		{"2023，2024，2025，2026年度物业费", -1},
		{"三项费用1500/300/2000元", -1},
		{"费用分别为1800，260，3500元", -1},
		{"维修1500-300-2000元", -1},
		{"1500000/2000", -1},
		{"手机 139/5234-0019", -1}, // two separators
		{"手机 139/5234/0019", -1}, // slashes join lists of amounts as often (150/1200/3000元)
		{"手机 139_5234_0019", -1},
		{"身份证 370212/19650226/125X", len("身份证 ")},
		{"座机 0532/8888/6666", len("座机 ")},
		{"座机（0532）8888-6666", len("座机（")},
		{"座机 (010)8888 6666", len("座机 (")},
		{"座机 (0532) 88886666", len("座机 (")},
		{"费用分别为180，2600，3500元", -1},
		{"费用150/1200/3000元", -1},
		{"第130，1301，1302号", -1},
		{"130/1200/3000", -1},
		{"维修基金100000，200000，300元", -1},
		{"0101，0102，0103，0104室业主同意", -1},
		{"0201/0202/0203室", -1},
		{"0800 1200 1400", -1},
		{"025 8888 6666", len("")},
		{"031 8888 6666", -1}, // no 3-digit area code but 010 and 02x
		{"手机 139，5234，0019", -1},
		{"手机 139\u200b5234\u200b0019", len("手机 ")},
		{"3-1-201 3-1-202，2026/05/12", -1},
		{"电话13812345678", len("电话")},
		{"身份证110101199003071233当面表决", len("身份证")},
		{"身份证11010119900307123X", len("身份证")},
		{"老身份证 110101900307123", len("老身份证 ")},
		{"手机 138 1234 5678 已接听", len("手机 ")},
		{"手机138-1234-5678", len("手机")},
		{"3-1-201 138-1234-5678", len("3-1-201 ")},
		{"全角１３８１２３４５６７８", len("全角")},
		{"1234567890", -1},                       // ten digits
		{"2026-05-08 09:30 上门，3-1-201 业主签字", -1}, // a date, a time, a unit
		{"3-1-201 3-1-202 3-1-203 上门", -1},       // unit numbers
		{"138****5678 接听", -1},                   // a masked phone
		{"138 1234 567", -1},
		{"238 1234 5678", -1},   // not a mobile number
		{"138  1234  5678", -1}, // two spaces apart: not one number
		{"回拨138.1234.5678", len("回拨")},
		{"电话1381234 5678", len("电话")},
		{"电话 138 12345678", len("电话 ")},
		{"身份证 990000 19600101 0039", len("身份证 ")},
		{"身份证990000-19600101-003X", len("身份证")},
		{"卡号 6222 0212 3456 7890", len("卡号 ")},
		{"2026.05.12 15:37 上门", -1}, // a date with full stops
		{"面积 80.00 m²，3-1-201", -1}, // an area and a unit
		{"192.168.1.1", -1},         // not a person's number
		{"2026-05-12 1537 号楼", -1},  // a date and a number
		{"990000 19600101", -1},     // half an identity number
		{"6222 0212 3456", -1},      // three groups of four
		{"3-1-101 20260512 上门", -1}, // a unit and a compact date
		{"1号楼 101 2026.0512", -1},   // a room and a date
		{"3-1-131 20260512 上门", -1}, // a room starting 13 and a date
		{"电话 100 1234 5678", -1},    // no mobile number starts 10
		{"3-1-201 138 12345678", len("3-1-201 ")},
		{"15:37 138 12345678", len("15:37 ")},
		{"2026.05.12 138 12345678", len("2026.05.12 ")},
		{"3号楼1单元 201 138 12345678", len("3号楼1单元 201 ")},
	} {
		if got := LongNumber(c.s); got != c.at {
			t.Errorf("LongNumber(%q) = %d, want %d", c.s, got, c.at)
		}
	}
}

// FuzzLongNumber: LongNumber never panics, and a number it finds starts at
// a digit, ASCII or full-width, of the text.
func FuzzLongNumber(f *testing.F) {
	for _, s := range []string{"电话13812345678", "138 1234 5678", "3-1-131 20260512", "身份证990000-19600101-003X", "6222 0212 3456 7890", "１３８　１２３４　５６７８", "1", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		at := LongNumber(s)
		if at < 0 {
			return
		}
		if at >= len(s) {
			t.Fatalf("LongNumber(%q) = %d, past the text", s, at)
		}
		r, _ := utf8.DecodeRuneInString(s[at:])
		if _, ok := digitOf(r); !ok {
			t.Fatalf("LongNumber(%q) = %d, at %q, not a digit", s, at, r)
		}
	})
}

// TestPersonalNumber: in a title or a unit's number, a run of digits
// counts only as a phone or an identity number, not as any long number.
func TestPersonalNumber(t *testing.T) {
	for _, c := range []struct {
		s  string
		at int
	}{
		{"招标编号QDZB2026051200012", -1},
		{"370212000000001", -1}, // a property code, no birth date
		{"6222021234567890", -1},
		{"咨询13812345678", len("咨询")},
		{"咨询053288886666", len("咨询")},
		{"370212196502261250", -1}, // a wrong check digit
		{"37021219650226125X", 0},
		{"110101199003071233", 0},
		{"11010119900307123X", -1},
		{"370212650226125", 0},
		{"咨询 0532-88886666", len("咨询 ")},
		{"业主 370212 1965 0226 125X", len("业主 ")},
		{"业主 370212 1965 0226 1250", -1}, // no identity number (check digit)
		{"编号3702-1220-2605-1200", -1},    // a contract's groups of four
		{"联系 +8613812345678", len("联系 +")},
		{"联系 008613812345678", len("联系 ")},
	} {
		if got := PersonalNumber(c.s); got != c.at {
			t.Errorf("PersonalNumber(%q) = %d, want %d", c.s, got, c.at)
		}
	}
}

// TestMaskedLikeTheRoll: a ballot's masked phone has the roll's shape, so
// that the two masks of one number never show more than one does.
func TestMaskedLikeTheRoll(t *testing.T) {
	for s, want := range map[string]bool{
		"138****5678": true, "053*****6666": true, "*******": true, "********": true, "13****5678": true,
		"1380000****": false, "1385****678": false, "13*****5678": false, "****5678": false, "138****567": false,
	} {
		if got := MaskedLikeTheRoll(s); got != want {
			t.Errorf("MaskedLikeTheRoll(%q) = %v, want %v", s, got, want)
		}
	}
}
