package web_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/ownervote/ownervote/ballot"
	"github.com/ownervote/ownervote/browsertest"
	"github.com/ownervote/ownervote/web"
)

// vectorFile is ballot/testdata/vectors.json, as far as this test reads it.
type vectorFile struct {
	Ballots []struct {
		Name            string          `json:"name"`
		Seed            string          `json:"seed"`
		PublicKey       string          `json:"public_key"`
		KeyID           string          `json:"key_id"`
		Ballot          json.RawMessage `json:"ballot"`
		CanonicalBase64 string          `json:"canonical_base64"`
		BallotID        string          `json:"ballot_id"`
		Signature       string          `json:"signature"`
	} `json:"ballots"`
}

// jsResult is what the page returns for one vector.
type jsResult struct {
	Name            string `json:"name"`
	Error           string `json:"error"`
	CanonicalBase64 string `json:"canonical_base64"`
	BallotID        string `json:"ballot_id"`
	Signature       string `json:"signature"`
	KeyID           string `json:"key_id"`
	Verifies        bool   `json:"verifies"`
}

// vectorScript encodes, hashes and signs every vector with the console's
// own module (assets/js/ballot.js) and WebCrypto Ed25519, the seed imported
// as PKCS #8.
const vectorScript = `(async (vectors) => {
  const m = await import('/assets/js/ballot.js');
  const pkcs8Prefix = m.fromHex('302e020100300506032b657004220420');
  const out = [];
  for (const v of vectors.ballots) {
    const r = {name: v.name};
    try {
      const c = m.canonicalBallot(v.ballot);
      r.canonical_base64 = m.toBase64(c);
      r.ballot_id = await m.ballotId(c);
      const pkcs8 = new Uint8Array([...pkcs8Prefix, ...m.fromHex(v.seed)]);
      const key = await crypto.subtle.importKey('pkcs8', pkcs8, {name: 'Ed25519'}, false, ['sign']);
      r.signature = m.toHex(await m.signEd25519(key, c));
      r.key_id = await m.keyId(m.fromHex(v.public_key));
      r.verifies = await m.verifyEd25519(m.fromHex(v.public_key), m.fromHex(v.signature), c);
    } catch (e) {
      r.error = String(e);
    }
    out.push(r);
  }
  return out;
})`

// TestBallotEncoderMatchesVectors runs the console's ballot encoder in
// Chromium against every vector of ballot/testdata/vectors.json: the same
// canonical bytes, ballot id, key id and (Ed25519 being deterministic) the
// same signature from WebCrypto.
func TestBallotEncoderMatchesVectors(t *testing.T) {
	raw, err := os.ReadFile("../ballot/testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var vf vectorFile
	if err := json.Unmarshal(raw, &vf); err != nil {
		t.Fatal(err)
	}
	if len(vf.Ballots) < 5 {
		t.Fatalf("vectors.json has %d ballots", len(vf.Ballots))
	}
	tab := openPage(t)
	got := browsertest.Get(tab, "encode the vectors", chromedp.Evaluate[[]jsResult](vectorScript+"("+string(raw)+")", chromedp.EvalAwaitPromise))
	if len(got) != len(vf.Ballots) {
		t.Fatalf("page returned %d results for %d vectors", len(got), len(vf.Ballots))
	}
	for i, v := range vf.Ballots {
		g := got[i]
		if g.Error != "" {
			t.Errorf("vector %s: JS encoder: %s", v.Name, g.Error)
			continue
		}
		for _, c := range []struct{ what, got, want string }{
			{"canonical bytes (base64)", g.CanonicalBase64, v.CanonicalBase64},
			{"ballot id", g.BallotID, v.BallotID},
			{"signature", g.Signature, v.Signature},
			{"key id", g.KeyID, v.KeyID},
		} {
			if c.got != c.want {
				t.Errorf("vector %s: JS %s = %s, want %s", v.Name, c.what, c.got, c.want)
			}
		}
		if !g.Verifies {
			t.Errorf("vector %s: WebCrypto does not verify the vector's signature", v.Name)
		}
	}
}

// TestBallotEncoderAgreesWithGo changes the phone vector in ways the
// format allows or refuses and checks that the JS encoder accepts exactly
// what ballot.Ballot.Canonical accepts, with the same bytes.
func TestBallotEncoderAgreesWithGo(t *testing.T) {
	raw, err := os.ReadFile("../ballot/testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var vf vectorFile
	if err := json.Unmarshal(raw, &vf); err != nil {
		t.Fatal(err)
	}
	var base map[string]any
	for _, v := range vf.Ballots {
		if v.Name == "phone" {
			json.Unmarshal(v.Ballot, &base)
		}
	}
	if base == nil {
		t.Fatal("no phone vector")
	}
	att := func(b map[string]any) map[string]any { return b["attestation"].(map[string]any) }
	cases := []struct {
		name   string
		change func(b map[string]any)
	}{
		{"unchanged", func(map[string]any) {}},
		{"no note", func(b map[string]any) { delete(att(b), "note") }},
		{"no recording", func(b map[string]any) { delete(att(b), "recording") }},
		{"note with a newline", func(b map[string]any) { att(b)["note"] = "业主本人\n接听" }},
		{"note with a carriage return", func(b map[string]any) { att(b)["note"] = "接听\r" }},
		{"note starting with a space", func(b map[string]any) { att(b)["note"] = " 接听" }},
		{"note ending with an ideographic space", func(b map[string]any) { att(b)["note"] = "接听\u3000" }},
		{"note with inner spaces and =", func(b map[string]any) { att(b)["note"] = "a = b，同意 c" }},
		{"note with a bidi override", func(b map[string]any) { att(b)["note"] = "同意\u202e" }},
		{"note with U+2028", func(b map[string]any) { att(b)["note"] = "同\u2028意" }},
		{"note of 166 Chinese characters", func(b map[string]any) { att(b)["note"] = strings.Repeat("意", 166) }},
		{"note of 167 Chinese characters", func(b map[string]any) { att(b)["note"] = strings.Repeat("意", 167) }},
		{"note with an emoji", func(b map[string]any) { att(b)["note"] = "同意👍" }},
		{"decomposed accent kept as is", func(b map[string]any) { att(b)["note"] = "Rene\u0301" }},
		{"full phone number", func(b map[string]any) { att(b)["phone"] = "13812345678" }},
		{"phone with three stars", func(b map[string]any) { att(b)["phone"] = "1381***5678" }},
		{"no phone", func(b map[string]any) { delete(att(b), "phone") }},
		{"uppercase key id", func(b map[string]any) { b["key"] = strings.ToUpper(b["key"].(string)) }},
		{"short nonce", func(b map[string]any) { b["nonce"] = "abcd" }},
		{"time with offset", func(b map[string]any) { b["time"] = "2026-05-08T10:12:00+08:00" }},
		{"time with fraction", func(b map[string]any) { b["time"] = "2026-05-08T02:12:00.5Z" }},
		{"30 February", func(b map[string]any) { b["time"] = "2026-02-30T02:12:00Z" }},
		{"signer OWNER on a phone ballot", func(b map[string]any) { b["signer"] = "OWNER" }},
		{"paper serial on a phone ballot", func(b map[string]any) { att(b)["paper_serial"] = "P-1" }},
		{"platform vote id on a phone ballot", func(b map[string]any) { b["platform_vote_id"] = "x" }},
		{"staff id with a space", func(b map[string]any) { att(b)["staff"] = "staff li" }},
		{"several motions, sorted by bytes", func(b map[string]any) {
			b["choice"] = map[string]any{"m2": []any{"OPPOSE"}, "m10": []any{"AGREE"}, "m1": []any{"ABSTAIN"}, "M3": []any{"AGREE"}}
		}},
		{"several candidates, sorted", func(b map[string]any) { b["choice"] = map[string]any{"c": []any{"cand-7", "cand-11", "Cand-3"}} }},
		{"keyword with a candidate", func(b map[string]any) { b["choice"] = map[string]any{"c": []any{"AGREE", "cand-1"}} }},
		{"duplicate candidate", func(b map[string]any) { b["choice"] = map[string]any{"c": []any{"cand-1", "cand-1"}} }},
		{"no choice", func(b map[string]any) { b["choice"] = map[string]any{} }},
		{"motion id with a comma", func(b map[string]any) { b["choice"] = map[string]any{"m,1": []any{"AGREE"}} }},
		{"visit without note", func(b map[string]any) { b["channel"] = "VISIT"; delete(att(b), "phone"); delete(att(b), "note") }},
		{"visit with note", func(b map[string]any) { b["channel"] = "VISIT"; delete(att(b), "phone") }},
		{"visit with phone", func(b map[string]any) { b["channel"] = "VISIT" }},
	}
	var inputs []map[string]any
	for _, c := range cases {
		b := deepCopy(t, base)
		c.change(b)
		inputs = append(inputs, b)
	}
	in, err := json.Marshal(inputs)
	if err != nil {
		t.Fatal(err)
	}
	tab := openPage(t)
	type caseResult struct {
		Canonical string `json:"canonical"`
		Field     string `json:"field"`
		Error     string `json:"error"`
	}
	got := browsertest.Get(tab, "encode the cases", chromedp.Evaluate[[]caseResult](`(async (cases) => {
	  const m = await import('/assets/js/ballot.js');
	  return cases.map((b) => {
	    try { return {canonical: m.toBase64(m.canonicalBallot(b))}; }
	    catch (e) { return {field: e.field || '', error: String(e)}; }
	  });
	})(`+string(in)+`)`, chromedp.EvalAwaitPromise))
	if len(got) != len(cases) {
		t.Fatalf("page returned %d results for %d cases", len(got), len(cases))
	}
	for i, c := range cases {
		raw, _ := json.Marshal(inputs[i])
		var b ballot.Ballot
		goErr := json.Unmarshal(raw, &b)
		var canonical []byte
		if goErr == nil {
			canonical, goErr = b.Canonical()
		}
		g := got[i]
		switch {
		case goErr == nil && g.Error != "":
			t.Errorf("%s: Go accepts, JS refuses: %s", c.name, g.Error)
		case goErr != nil && g.Error == "":
			t.Errorf("%s: Go refuses (%v), JS accepts", c.name, goErr)
		case goErr == nil && g.Canonical != b64(canonical):
			t.Errorf("%s: JS canonical %s, Go %s", c.name, g.Canonical, b64(canonical))
		case goErr != nil:
			var fe *ballot.FieldError
			if errors.As(goErr, &fe) && !sameField(fe.Field, g.Field) {
				t.Errorf("%s: JS refuses field %q (%s), Go field %q (%v)", c.name, g.Field, g.Error, fe.Field, goErr)
			}
		}
	}
}

// sameField compares field names, where Go names a bad motion id by its
// index ("choice[0].motion") and JS says "choice".
func sameField(goField, jsField string) bool {
	if strings.HasPrefix(goField, "choice[") {
		return jsField == "choice"
	}
	return goField == jsField
}

func deepCopy(t *testing.T, v map[string]any) map[string]any {
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// openPage serves the console from an httptest server and opens it in a
// fresh headless Chromium.
func openPage(t *testing.T) *browsertest.Tab {
	t.Helper()
	b := browsertest.Start(t)
	srv := httptest.NewServer(web.Handler())
	t.Cleanup(srv.Close)
	tab := b.Profile(t)
	tab.Run("open the console", chromedp.Navigate(srv.URL+"/"), chromedp.WaitReady("body"))
	return tab
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// TestLongNumberAgreesWithGo: the console's longNumber finds a phone,
// identity or card number in exactly the texts ballot.LongNumber does, so
// that staff hear of it before the server refuses the text.
func TestLongNumberAgreesWithGo(t *testing.T) {
	texts := []string{
		"业主本人接听，同意", "电话13812345678", "身份证110101199003071233当面表决", "身份证11010119900307123X",
		"手机 138 1234 5678 已接听", "手机138-1234-5678", "3-1-201 138-1234-5678", "全角１３８１２３４５６７８",
		"1234567890", "2026-05-08 09:30 上门，3-1-201 业主签字", "138****5678 接听", "138 1234 567", "238 1234 5678",
		"138  1234  5678", "回拨138.1234.5678", "电话1381234 5678", "电话 138 12345678", "身份证 990000 19600101 0039",
		"身份证990000-19600101-003X", "身份证990000－19600101－003ｘ", "卡号 6222 0212 3456 7890", "2026.05.12 15:37 上门",
		"面积 80.00 m²，3-1-201", "192.168.1.1", "2026-05-12 1537 号楼", "990000 19600101", "6222 0212 3456",
		"１３８　１２３４　５６７８", "x13812345678x", "", "3-1-101 20260512 上门", "1号楼 101 2026.0512", "3-1-131 20260512 上门",
		"电话 100 1234 5678", "3-1-201 138 12345678", "15:37 138 12345678", "2026.05.12 138 12345678", "3号楼1单元 201 138 12345678",
		"3-1-131 20261332", "3-1-131 19991231",
		"座机 0532-88886666", "座机（0532)88886666", "座机 0532 8888 6666", "座机 010 888 6666", "010 20260512 来电",
		"身份证 370212 1965 0226 1250", "身份证 370212 1965 0226 125X", "老身份证 370212 650226 125", "手机 1395 234 0019",
		"手机 139/5234/0019", "手机 139_5234_0019", "手机 139，5234，0019", "手机 139\u200b5234\u200b0019", "3-1-201 3-1-202，2026/05/12",
		"1201，1202，1203，1204室业主同意", "1201/1202/1203/1204", "2023，2024，2025，2026年度物业费", "三项费用1500/300/2000元",
		"费用分别为1800，260，3500元", "维修1500-300-2000元", "1500000/2000", "手机 139/5234-0019", "座机（0532）88886666",
		"身份证 370212/19650226/125X", "座机 0532/8888/6666", "座机（0532）8888-6666", "座机 (010)8888 6666", "座机 (0532) 88886666",
		"费用分别为180，2600，3500元", "费用150/1200/3000元", "第130，1301，1302号", "130/1200/3000", "维修基金100000，200000，300元",
		"0101，0102，0103，0104室业主同意", "0201/0202/0203室", "0800 1200 1400", "025 8888 6666", "031 8888 6666",
	}
	in, err := json.Marshal(texts)
	if err != nil {
		t.Fatal(err)
	}
	tab := openPage(t)
	got := browsertest.Get(tab, "run longNumber", chromedp.Evaluate[[]bool](`(async (texts) => {
	  const m = await import('/assets/js/ballot.js');
	  return texts.map((s) => m.longNumber(s));
	})(`+string(in)+`)`, chromedp.EvalAwaitPromise))
	if len(got) != len(texts) {
		t.Fatalf("page returned %d results for %d texts", len(got), len(texts))
	}
	for i, s := range texts {
		if want := ballot.LongNumber(s) >= 0; got[i] != want {
			t.Errorf("longNumber(%q) = %v in the console, %v in Go", s, got[i], want)
		}
	}
}
