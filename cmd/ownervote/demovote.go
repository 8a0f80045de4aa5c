package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/ownervote/ownervote/audit"
	"github.com/ownervote/ownervote/ballot"
	"github.com/ownervote/ownervote/demo"
)

// demoUsage is the command's usage line (its flags: --help).
const demoUsage = "demo vote [--api URL] [--token TOKEN] [--keep-open]"

func init() {
	commands["demo"] = command{summary: "demo walkthrough: `demo vote` runs the seed story against serve --demo", run: runDemo}
}

// runDemo runs the seed story against a running `serve --demo` through the
// JSON API, as the city platform and street staff would.
func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if err := groupHelp(args, stderr, demoUsage); err != nil {
		return err
	}
	if len(args) == 0 || args[0] != "vote" {
		return fmt.Errorf("%w: %s", errUsage, demoUsage)
	}
	fl := flag.NewFlagSet("demo vote", flag.ContinueOnError)
	fl.SetOutput(stderr)
	api := fl.String("api", "http://127.0.0.1:7780", "base URL of the JSON API")
	token := fl.String("token", "", "street-admin token printed by serve --demo (default: $OWNERVOTE_TOKEN)")
	keepOpen := fl.Bool("keep-open", false, "stop before closing the vote, to follow the campaign in the web console")
	tlsFiles := addClientTLSFlags(fl)
	if err := parseFlags(fl, args[1:]); err != nil {
		return err
	}
	if fl.NArg() > 0 {
		// Often a flag whose value was left empty: --token $UNSET --api URL
		// makes --api the token and URL a stray argument.
		return fmt.Errorf("%w: unexpected argument %q (a flag before it without its value?): %s", errUsage, fl.Arg(0), demoUsage)
	}
	tok, err := tokenOrEnv(*token, "the admin token serve --demo printed")
	if err != nil {
		return err
	}
	tlsCfg, err := tlsFiles.config()
	if err != nil {
		return err
	}
	hc := httpClient(tlsCfg)
	hc.Timeout = 30 * time.Second
	c := &apiClient{base: strings.TrimRight(*api, "/"), token: tok, http: hc}
	return demoVote(ctx, c, stdout, *keepOpen)
}

type apiClient struct {
	base, token string
	http        *http.Client
}

// call sends a JSON request and decodes the reply; a non-2xx reply is an
// error carrying the server's reason and message.
func (c *apiClient) call(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return apiError(method+" "+path, resp.StatusCode, raw)
	}
	if out != nil {
		return json.Unmarshal(raw, out)
	}
	return nil
}

type demoKey struct {
	id   string
	priv ed25519.PrivateKey
}

func newDemoKey(id string) demoKey {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	return demoKey{id: id, priv: priv}
}

func (k demoKey) pub() []byte   { return k.priv.Public().(ed25519.PublicKey) }
func (k demoKey) keyID() string { return ballot.KeyID(k.pub()) }

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func demoVote(ctx context.Context, c *apiClient, w io.Writer, keepOpen bool) error {
	community := demo.CommunityID
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }

	// 1. The roll: who votes.
	var voters []string
	for tok := ""; ; {
		var page struct {
			Units []struct {
				VoterOwnerID string `json:"voter_owner_id"`
			} `json:"units"`
			Next string `json:"next_page_token"`
		}
		if err := c.call(ctx, "GET", "/v1/communities/"+community+"/units?page_size=1000&page_token="+tok, nil, &page); err != nil {
			return err
		}
		seen := map[string]bool{}
		for _, v := range voters {
			seen[v] = true
		}
		for _, u := range page.Units {
			if u.VoterOwnerID != "" && !seen[u.VoterOwnerID] {
				voters = append(voters, u.VoterOwnerID)
				seen[u.VoterOwnerID] = true
			}
		}
		if tok = page.Next; tok == "" {
			break
		}
	}
	p("1. 名册 / roll: %s, %d owners who vote", community, len(voters))

	// 2. Signers: the city platform, two staff members, a committee member.
	// Their keys are made up for this walkthrough and thrown away after it.
	run := randomHex(3)
	platform, staff, staff2, member := newDemoKey("qd-platform-"+run), newDemoKey("staff-wang-"+run), newDemoKey("staff-li-"+run), newDemoKey("member-"+run)
	for _, s := range []struct {
		k         demoKey
		kind, cid string
		name      string
	}{
		{platform, "PLATFORM", "", "青岛市智慧物业平台"},
		{staff, "STAFF", community, "惠都社区 王工作人员"},
		{staff2, "STAFF", community, "惠都社区 李工作人员"},
		{member, "COMMITTEE", community, "惠都社区居委会 赵委员"},
	} {
		body := map[string]any{"kind": s.kind, "signer_id": s.k.id, "name": s.name, "community_id": s.cid, "public_key": s.k.pub()}
		if err := c.call(ctx, "POST", "/v1/signers", body, nil); err != nil {
			return err
		}
	}
	p("2. 签名人 / signers: platform, 2 staff, 1 committee member registered")

	// 3. Twenty owners register keys in the platform app to vote online.
	ownerKeys := map[string]demoKey{}
	for _, v := range voters[:20] {
		k := newDemoKey(v)
		var got struct {
			Status string `json:"status"`
		}
		if err := c.call(ctx, "POST", "/v1/communities/"+community+"/owners/"+v+"/keys", map[string]any{"public_key": k.pub()}, &got); err != nil {
			return err
		}
		ownerKeys[v] = k
	}
	p("3. 业主密钥 / owner keys: 20 owners registered keys for online voting")

	// 4. The selection assembly: a five-day window. A real notice runs 15
	// days; this walkthrough opens in a few seconds and records why.
	opens := time.Now().Add(3 * time.Second).UTC().Truncate(time.Second)
	asmID := "select-" + run
	asm := map[string]any{
		"assembly_id": asmID,
		"title":       "北宅王哥庄机关宿舍楼业主大会：选聘物业服务企业",
		"motions": []any{map[string]any{"motion_id": "m1", "matter": "MATTER_SELECT_PROPERTY_FIRM",
			"title": "选聘青岛天泰爱家物业服务有限公司为本小区物业服务企业"}},
		"opens_at": opens.Format(time.RFC3339), "closes_at": opens.Add(5 * 24 * time.Hour).Format(time.RFC3339),
		"channels":            []string{"CHANNEL_ONLINE", "CHANNEL_PLATFORM", "CHANNEL_PHONE", "CHANNEL_VISIT", "CHANNEL_PAPER", "CHANNEL_PROXY"},
		"committee":           map[string]any{"member_key_ids": []string{member.keyID()}, "k": 1},
		"short_notice_reason": "演示：公告期缩短为数秒 / walkthrough: notice shortened to seconds",
	}
	var created struct {
		AssemblyID string `json:"assembly_id"`
	}
	if err := c.call(ctx, "POST", "/v1/communities/"+community+"/assemblies", asm, &created); err != nil {
		return err
	}
	var published struct {
		RollDigest string `json:"roll_digest"`
		RollTotal  struct {
			AreaM2 string `json:"area_m2"`
			Head   string `json:"head"`
		} `json:"roll_total"`
	}
	base := "/v1/communities/" + community + "/assemblies/" + asmID
	if err := c.call(ctx, "POST", base+":publish", map[string]any{}, &published); err != nil {
		return err
	}
	p("4. 会议 / assembly %s published; frozen roll %s… (%s m², %s heads); voting opens %s",
		asmID, published.RollDigest[:16], published.RollTotal.AreaM2, published.RollTotal.Head, opens.Format(time.RFC3339))
	select {
	case <-time.After(time.Until(opens) + 200*time.Millisecond):
	case <-ctx.Done():
		return ctx.Err()
	}

	// 5. Ballots from every channel.
	submit := func(b *ballot.Ballot, k demoKey) (string, error) {
		b.Assembly, b.RollDigest, b.Nonce = asmID, published.RollDigest, randomHex(16)
		b.Time = time.Now().UTC().Truncate(time.Second)
		b.Signer, b.KeyID = b.Channel.Signer(), k.keyID()
		canonical, sig, err := ballot.Sign(b, k.priv)
		if err != nil {
			return "", err
		}
		var r struct {
			Status string `json:"status"`
		}
		err = c.call(ctx, "POST", base+"/ballots", map[string]any{
			"ballot": base64.StdEncoding.EncodeToString(canonical), "signature": base64.StdEncoding.EncodeToString(sig)}, &r)
		return r.Status, err
	}
	counts := map[ballot.Channel]int{}
	choiceOf := func(i int) string {
		switch {
		case i%9 == 4:
			return "OPPOSE"
		case i%17 == 8:
			return "ABSTAIN"
		}
		return "AGREE"
	}
	at := func() time.Time { return time.Now().UTC().Add(-time.Minute).Truncate(time.Second) }
	const turnout = 118
	for i, v := range voters[:turnout] {
		b := &ballot.Ballot{Voter: v, Choices: []ballot.Choice{{Motion: "m1", Values: []string{choiceOf(i)}}}}
		var k demoKey
		switch {
		case i < 20:
			b.Channel, k = ballot.Online, ownerKeys[v]
		case i < 80:
			b.Channel, k = ballot.Platform, platform
			b.PlatformVoteID = fmt.Sprintf("QDWY-%s-%04d", run, i)
		case i < 108:
			b.Channel, k = ballot.Phone, staff
			b.Attestation = &ballot.Attestation{StaffID: staff.id, At: at(), MaskedPhone: "100****" + fmt.Sprintf("%04d", i)}
		case i < 113:
			b.Channel, k = ballot.Visit, staff
			b.Attestation = &ballot.Attestation{StaffID: staff.id, At: at(), Note: "入户走访，业主本人当面表决"}
		case i < 116:
			b.Channel, k = ballot.Paper, staff2
			scan := sha256.Sum256([]byte(fmt.Sprintf("scan %d", i)))
			b.Attestation = &ballot.Attestation{StaffID: staff2.id, At: at(), PaperSerial: fmt.Sprintf("ZB-%03d", i), ScanSHA256: hex.EncodeToString(scan[:])}
		default:
			holder := newDemoKey("holder")
			doc := sha256.Sum256([]byte(fmt.Sprintf("授权委托书 %s %d", v, i)))
			b.Channel, k, b.ProxyAuthorization = ballot.Proxy, holder, hex.EncodeToString(doc[:])
			if err := c.call(ctx, "POST", base+"/proxies", map[string]any{"voter": v, "holder_name": "受托人（业主亲属）",
				"holder_public_key": holder.pub(), "document_sha256": b.ProxyAuthorization, "holder_id_number": demo.ProxyHolderIDNumber(i)}, nil); err != nil {
				return err
			}
		}
		if _, err := submit(b, k); err != nil {
			return fmt.Errorf("ballot of %s via %s: %w", v, b.Channel, err)
		}
		counts[b.Channel]++
	}
	p("5. 选票 / ballots: %d online, %d platform, %d phone, %d visit, %d paper, %d proxy",
		counts[ballot.Online], counts[ballot.Platform], counts[ballot.Phone], counts[ballot.Visit], counts[ballot.Paper], counts[ballot.Proxy])

	// A second ballot from a voter who already voted is refused and logged.
	dup := &ballot.Ballot{Voter: voters[30], Channel: ballot.Phone, Choices: []ballot.Choice{{Motion: "m1", Values: []string{"OPPOSE"}}},
		Attestation: &ballot.Attestation{StaffID: staff.id, At: at(), MaskedPhone: "100****0030"}}
	if _, err := submit(dup, staff); err != nil {
		p("   重复投票被拒收并登记 / duplicate refused and logged: %v", err)
	} else {
		return fmt.Errorf("a duplicate ballot was accepted")
	}

	var prog struct {
		Motions []struct {
			Participating struct {
				AreaM2 string `json:"area_m2"`
				Head   string `json:"head"`
			} `json:"participating"`
			Quorum struct {
				Remaining struct {
					AreaM2 string `json:"area_m2"`
					Head   string `json:"head"`
				} `json:"remaining"`
			} `json:"quorum"`
		} `json:"motions"`
	}
	if err := c.call(ctx, "GET", base+"/progress", nil, &prog); err != nil {
		return err
	}
	m := prog.Motions[0]
	p("6. 进度 / progress: participating %s m², %s heads; still needed for the 2/3 quorum: %s m², %s heads",
		m.Participating.AreaM2, m.Participating.Head, m.Quorum.Remaining.AreaM2, m.Quorum.Remaining.Head)

	if keepOpen {
		p("   投票保持开放 / the vote stays open: follow it in the web console, %s/#/c/%s/a/%s", c.base, community, asmID)
		return nil
	}

	// 7. Close (early, as an admin, with a reason) and read the result.
	if err := c.call(ctx, "POST", base+":close", map[string]any{"reason": "演示：提前结束投票 / walkthrough: closed early"}, nil); err != nil {
		return err
	}
	var res struct {
		ResultDigest string `json:"result_digest"`
		Motions      []struct {
			Title    string `json:"title"`
			Decision struct {
				Outcome       string `json:"outcome"`
				ExplanationZH string `json:"explanation_zh"`
				ExplanationEN string `json:"explanation_en"`
			} `json:"decision"`
		} `json:"motions"`
	}
	if err := c.call(ctx, "GET", base+"/result", nil, &res); err != nil {
		return err
	}
	p("7. 结果 / result (preliminary), digest %s", res.ResultDigest)
	for _, m := range res.Motions {
		p("   %s: %s", m.Title, m.Decision.Outcome)
		p("   %s", m.Decision.ExplanationZH)
		p("   %s", m.Decision.ExplanationEN)
	}
	p("   公告 / public notice: %s/notices/%s", c.base, asmID)

	// 8. Export and verify, as anyone can, without the server.
	var exp struct {
		Files map[string][]byte `json:"files"`
	}
	if err := c.call(ctx, "GET", base+"/export", nil, &exp); err != nil {
		return err
	}
	bundle, err := audit.ReadBundle(exp.Files)
	if err != nil {
		return err
	}
	rep, err := audit.Verify(bundle)
	if err != nil {
		return fmt.Errorf("verifying the export: %w", err)
	}
	p("8. 导出核验 / export verified offline: %d log entries, %d counted ballots, result digest %s", rep.Entries, rep.Counted, rep.Digest)
	p("   The same from the command line:")
	p("   ownervote export --community %s --out ./export-%s %s   (--server HOST:PORT if gRPC is not on 127.0.0.1:7700)", community, asmID, asmID)
	p("   ownervote verify ./export-%s", asmID)
	p("   The committee certifies after the %d-day objection window (询异期).", 3)
	return nil
}

// apiError describes a JSON API error reply: its HTTP status, the reason
// code of its first detail and its message.
func apiError(call string, status int, body []byte) error {
	var e struct {
		Message string `json:"message"`
		Details []struct {
			Reason string `json:"reason"`
		} `json:"details"`
	}
	json.Unmarshal(body, &e)
	reason := ""
	if len(e.Details) > 0 {
		reason = e.Details[0].Reason
	}
	return fmt.Errorf("%s: HTTP %d %s: %s", call, status, reason, e.Message)
}
