package ballot

import "testing"

func TestLongNumber(t *testing.T) {
	for _, c := range []struct {
		s  string
		at int
	}{
		{"业主本人接听，同意", -1},
		{"电话13812345678", len("电话")},
		{"身份证110101199003071233当面表决", len("身份证")},
		{"身份证11010119900307123X", len("身份证")},
		{"老身份证 110101900307123", len("老身份证 ")},
		{"手机 138 1234 5678 已接听", len("手机 ")},
		{"手机138-1234-5678", len("手机")},
		{"3-1-201 138-1234-5678", len("3-1-201 ")},
		{"全角１３８１２３４５６７８", len("全角")},
		{"1234567890", -1}, // ten digits
		{"2026-05-08 09:30 上门，3-1-201 业主签字", -1}, // a date, a time, a unit
		{"3-1-201 3-1-202 3-1-203 上门", -1},       // unit numbers
		{"138****5678 接听", -1},                   // a masked phone
		{"138 1234 567", -1},
		{"238 1234 5678", -1},   // not a mobile number
		{"138  1234  5678", -1}, // two spaces apart: not one number
	} {
		if got := LongNumber(c.s); got != c.at {
			t.Errorf("LongNumber(%q) = %d, want %d", c.s, got, c.at)
		}
	}
}
