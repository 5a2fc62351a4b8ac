package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"

	"xephang/drivers/emrtd/chipsim"
	"xephang/drivers/emrtd/lds"
	"xephang/drivers/idcard"
	"xephang/drivers/idcard/idcardsim"
	"xephang/drivers/pcsc/pcsctest"
	"xephang/drivers/pcsc/vpcd"
	"xephang/kiosk/devices"
	"xephang/queue-server/apiv1"
)

// TestIdcardChip runs `kioskd idcard chip` against Debian's pcscd with a
// vpcd reader holding chipsim's demo card: the contract's JSON, the name
// exactly as the chip holds it (NFC, every tone mark), the issuer checked
// against the CSCA directory; a wrong MRZ, an unknown issuer and an empty
// reader each say so and exit 1.
func TestIdcardChip(t *testing.T) {
	d := pcsctest.Start(t)
	slot := vpcd.NewSlot(d.VPCD)
	t.Cleanup(func() { slot.Close() })
	pki, err := lds.NewPKI("VN", "Test CSCA")
	if err != nil {
		t.Fatal(err)
	}
	cscaDir := t.TempDir()
	if err := pki.WriteCSCA(cscaDir); err != nil {
		t.Fatal(err)
	}
	holder := chipsim.DemoHolder("adult")
	mrz := strings.Join(strings.Fields(holder.MRZ), " ")
	chipCmd := func(t *testing.T, args ...string) (int, map[string]any, string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		var stdout, stderr bytes.Buffer
		code := run(ctx, append([]string{"idcard", "chip", "-reader", d.Reader, "-wait", "2s"}, args...), strings.NewReader(""), &stdout, &stderr)
		var out map[string]any
		if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
			t.Fatalf("exit %d, not JSON: %v\n%s\n%s", code, err, stdout.String(), stderr.String())
		}
		return code, out, stdout.String()
	}
	reader := &devices.PCSCReader{Name: d.Reader}
	remove := func(t *testing.T) {
		t.Helper()
		slot.Remove()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := reader.WaitRemoved(ctx); err != nil {
			t.Fatalf("pcscd did not see the card go: %v", err)
		}
	}
	insert := func(t *testing.T, o chipsim.Options) {
		t.Helper()
		remove(t)
		card, err := chipsim.New(holder, o)
		if err != nil {
			t.Fatal(err)
		}
		if err := slot.Insert(card); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("genuine", func(t *testing.T) {
		insert(t, chipsim.Options{PKI: pki})
		code, out, raw := chipCmd(t, "-mrz", mrz, "-csca", cscaDir)
		if code != exitOK || out["authenticity"] != "genuine" || out["valid"] != true {
			t.Fatalf("exit %d: %s", code, raw)
		}
		if out["name"] != holder.DG13.Name || !norm.NFC.IsNormalString(out["name"].(string)) {
			t.Errorf("name %q, the chip holds %q", out["name"], holder.DG13.Name)
		}
		for _, k := range []string{"id_number", "name", "birth_date", "sex", "expiry_date", "valid", "expired", "errors", "issue_date",
			"nationality", "ethnicity", "religion", "origin", "residence", "father", "mother", "old_id_number", "face", "authenticity"} {
			if _, ok := out[k]; !ok {
				t.Errorf("the JSON lacks %q", k)
			}
		}
		if out["residence"] != holder.DG13.Residence || out["id_number"] != holder.DG13.IDNumber {
			t.Errorf("fields: %s", raw)
		}
		face, err := base64.StdEncoding.DecodeString(fmt.Sprint(out["face"]))
		if err != nil || !bytes.Equal(face, holder.Face.Data) {
			t.Errorf("face: %d bytes (%v), the chip holds %d", len(face), err, len(holder.Face.Data))
		}
		if bd := fmt.Sprint(out["birth_date"]); len(bd) != 10 || bd[4] != '-' {
			t.Errorf("birth_date %q is not YYYY-MM-DD", bd)
		}
	})
	t.Run("altered", func(t *testing.T) {
		insert(t, chipsim.Options{PKI: pki, Alter: true})
		code, out, raw := chipCmd(t, "-mrz", mrz, "-csca", cscaDir)
		if code != exitProblem || out["authenticity"] != "data_altered" {
			t.Fatalf("exit %d: %s", code, raw)
		}
	})
	t.Run("cloned", func(t *testing.T) {
		insert(t, chipsim.Options{PKI: pki, ChipAuth: true, CAClone: true})
		code, out, raw := chipCmd(t, "-mrz", mrz, "-csca", cscaDir)
		if code != exitProblem || out["authenticity"] != "genuine" || out["chip_auth"] != "failed" {
			t.Fatalf("exit %d: %s", code, raw)
		}
		insert(t, chipsim.Options{PKI: pki, ChipAuth: true})
		if code, out, raw := chipCmd(t, "-mrz", mrz, "-csca", cscaDir); code != exitOK || out["chip_auth"] != "passed" {
			t.Fatalf("a genuine chip: exit %d: %s", code, raw)
		}
	})
	t.Run("unknown issuer", func(t *testing.T) {
		other, _ := lds.NewPKI("VN", "Another CSCA")
		insert(t, chipsim.Options{PKI: other})
		code, out, raw := chipCmd(t, "-mrz", mrz, "-csca", cscaDir)
		if code != exitProblem || out["authenticity"] != "unknown_issuer" {
			t.Fatalf("exit %d: %s", code, raw)
		}
	})
	t.Run("wrong MRZ", func(t *testing.T) {
		insert(t, chipsim.Options{PKI: pki})
		wrong := strings.Fields(holder.MRZ)
		// Another birth date, its check digit right: the MRZ reads, BAC fails.
		l2 := []byte(wrong[1])
		l2[5] = '1'
		if l2[5] == wrong[1][5] {
			l2[5] = '2'
		}
		wrong[1] = fixCheckDigits(string(l2))
		code, out, raw := chipCmd(t, "-mrz", strings.Join(wrong, " "))
		if code != exitProblem || out["code"] != "access_denied" || out["error_vi"] == "" {
			t.Fatalf("exit %d: %s", code, raw)
		}
		// No lock-up: the right MRZ reads at once after.
		if code, out, raw := chipCmd(t, "-mrz", mrz, "-csca", cscaDir); code != exitOK || out["authenticity"] != "genuine" {
			t.Fatalf("after a wrong MRZ: exit %d: %s", code, raw)
		}
	})
	t.Run("no card", func(t *testing.T) {
		remove(t)
		code, out, raw := chipCmd(t, "-mrz", mrz)
		if code != exitProblem || out["code"] != "no_card" {
			t.Fatalf("exit %d: %s", code, raw)
		}
	})
	t.Run("no reader", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), []string{"idcard", "chip", "-reader", "No Such Reader", "-mrz", mrz}, strings.NewReader(""), &stdout, &stderr)
		if code != exitProblem || !strings.Contains(stdout.String(), `"code": "no_reader"`) {
			t.Fatalf("exit %d: %s %s", code, stdout.String(), stderr.String())
		}
	})
}

// fixCheckDigits recomputes the birth date's check digit of a TD1 line 2
// (the composite spans line 1 too and is left wrong: BAC does not use it).
func fixCheckDigits(l2 string) string {
	b := []byte(l2)
	b[6], _ = idcard.CheckDigit(l2[0:6])
	return string(b)
}

// TestChipAtTheKiosk runs kioskd -simulate against a real server: a demo
// card tapped in take-number puts its QR on the code reader and its chip
// on the simulated chip reader; the chip is read (progress on the
// WebSocket, never a name or the face), and the ticket's identity reaches
// the server with the chip's name and the face, for staff. An altered
// chip reaches staff as data_altered; a chip reader that fails leaves the
// optical card in use, saying so.
func TestChipAtTheKiosk(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	admin := startServer(t)
	c, err := admin.Centre(ctx, "bench")
	if err != nil {
		t.Fatal(err)
	}
	c.Rules.NumbersPerDay = 10 // one demo person takes every number here
	if _, err := admin.PutCentre(ctx, c); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	enrollKiosk(t, admin, "bench", dir)
	m, k := startKiosk(t, ctx, dir, nil, nil)
	k.waitStatus(t, ctx, "online", func(s statusView) bool { return s.Link.Online })
	ev := listen(t, k)
	holder := chipsim.DemoHolder("adult")
	take := func(kind string) (string, []map[string]any) {
		t.Helper()
		var st map[string]any
		k.post(t, ctx, "/api/flow", map[string]string{"flow": "home"}, &st)
		k.post(t, ctx, "/api/flow", map[string]string{"flow": "take-number"}, &st)
		before := ev.count("card")
		ev.mu.Lock()
		from := len(ev.all)
		ev.mu.Unlock()
		if code := k.post(t, ctx, "/api/demo/card", map[string]string{"kind": kind}, &st); code != 202 {
			t.Fatalf("card %s: %d %v", kind, code, st)
		}
		waitUntil(t, ctx, "the card read", func() bool { return ev.count("card") > before })
		var out map[string]any
		if code := k.post(t, ctx, "/api/tickets", map[string]string{"service": "A"}, &out); code != 201 {
			t.Fatalf("ticket: %d %v", code, out)
		}
		ev.mu.Lock()
		evs := append([]map[string]any(nil), ev.all[from:]...)
		ev.mu.Unlock()
		for _, e := range evs {
			b, _ := json.Marshal(e)
			for _, secret := range []string{holder.DG13.Name, holder.DG13.IDNumber, holder.DG13.Residence, base64.StdEncoding.EncodeToString(holder.Face.Data[:32])} {
				if strings.Contains(string(b), secret) {
					t.Errorf("the touchscreen got personal data: %s", b)
				}
			}
		}
		return fmt.Sprint(out["ticket_id"]), evs
	}
	chipStates := func(evs []map[string]any) (states []string, last map[string]any) {
		for _, e := range evs {
			if e["type"] == "chip" {
				c := e["chip"].(map[string]any)
				states = append(states, fmt.Sprint(c["state"]))
				last = c
			}
		}
		return states, last
	}
	identity := func(id string) (map[string]any, int) {
		var out map[string]any
		code, _ := admin.Do(ctx, "GET", "/api/v1/tickets/"+id+"/identity", nil, &out)
		return out, code
	}

	id, evs := take("adult")
	states, last := chipStates(evs)
	if strings.Join(states, ",") != "waiting,reading,done" || last["authenticity"] != "genuine" {
		t.Fatalf("chip events %v %v", states, last)
	}
	got, code := identity(id)
	card, _ := got["card"].(map[string]any)
	if code != 200 || got["authenticity"] != "genuine" || card["name"] != holder.DG13.Name || card["residence"] != holder.DG13.Residence || got["face_url"] == nil {
		t.Fatalf("identity on the server: %d %v", code, got)
	}
	if _, ok := card["face"]; ok {
		t.Error("the card's JSON carries the face")
	}
	if card["chip_auth"] != "passed" || card["active_auth"] != "passed" {
		t.Errorf("chip/active authentication on the server: %v / %v", card["chip_auth"], card["active_auth"])
	}
	face, err := admin.Get(ctx, fmt.Sprint(got["face_url"]))
	if err != nil || len(face) < 100 || face[0] != 0xFF || face[1] != 0xD8 {
		t.Errorf("face: %d bytes, %v", len(face), err)
	}

	id, evs = take("chip-altered")
	if _, last := chipStates(evs); last["authenticity"] != "data_altered" {
		t.Errorf("altered chip said %v", last)
	}
	if got, code := identity(id); code != 200 || got["authenticity"] != "data_altered" {
		t.Errorf("altered identity on the server: %d %v", code, got)
	}

	id, evs = take("chip-unknown")
	if got, code := identity(id); code != 200 || got["authenticity"] != "unknown_issuer" {
		t.Errorf("unknown issuer on the server: %d %v", code, got)
	}

	// A cloned chip: its data verifies, its chip authentication fails; the
	// touchscreen says so and the server keeps chip_auth in the card.
	id, evs = take("chip-cloned")
	if _, last := chipStates(evs); last["chip_auth"] != "failed" || !strings.Contains(fmt.Sprint(last["message"]), "sao chép") {
		t.Errorf("cloned chip said %v", last)
	}
	if got, code := identity(id); code != 200 || got["authenticity"] != "genuine" || got["card"].(map[string]any)["chip_auth"] != "failed" {
		t.Errorf("cloned identity on the server: %d %v", code, got)
	}

	// The chip reader fails mid-read: the optical card is used, and said so.
	m.Devices.Sim.Chip.Break(1000)
	id, evs = take("adult")
	if states, last := chipStates(evs); len(states) == 0 || states[len(states)-1] != "failed" || !strings.Contains(fmt.Sprint(last["message"]), "dùng thông tin") {
		t.Errorf("failure said %v %v", states, last)
	}
	if _, code := identity(id); code != 404 {
		t.Errorf("an identity without a chip read: %d", code)
	}
	m.Devices.Sim.Chip.Break(0)
	// The kiosk's outbox keeps no face once sent.
	all, _ := m.Store.Tickets("")
	for _, tk := range all {
		if len(tk.Identity) != 0 {
			t.Errorf("ticket %s keeps its identity after sending", tk.Number)
		}
	}
}

// TestCounterChip: the counter's agent with a real chip reader (pcscd,
// vpcd, chipsim's card) and the card's QR on its code reader: with nobody
// served at the counter it says so; once a number is called there, the
// chip's identity reaches that ticket on the server.
func TestCounterChip(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	d := pcsctest.Start(t)
	slot := vpcd.NewSlot(d.VPCD)
	t.Cleanup(func() { slot.Close() })
	pki, _ := lds.NewPKI("VN", "Test CSCA")
	card, err := chipsim.New(chipsim.DemoHolder("adult"), chipsim.Options{PKI: pki})
	if err != nil {
		t.Fatal(err)
	}
	if err := slot.Insert(card); err != nil {
		t.Fatal(err)
	}
	admin := startServer(t)
	dir := t.TempDir()
	enrollKiosk(t, admin, "bench", dir)
	a, closeAll, err := newCounterAgent(dir, "", testLog())
	if err != nil {
		t.Fatal(err)
	}
	defer closeAll()
	out := &lockedBuffer{}
	a.counter, a.out = 1, out
	a.chip, a.chipName = chipFlow{reader: &devices.PCSCReader{Name: d.Reader}, cscas: lds.NewCSCAs(pki.CSCA), wait: 5 * time.Second}, d.Reader
	pr, pw := io.Pipe()
	defer pw.Close()
	go a.runCards(ctx, pr)

	fmt.Fprint(pw, idcardsim.SampleQR+"\r\n")
	waitUntil(t, ctx, "the agent's answer", func() bool { return strings.Contains(out.String(), "Quầy 1 không có số nào") })

	cred, _ := LoadCredential(dir)
	kc := apiv1.NewClient(admin.Base)
	kc.Token = cred.Credential
	tk, err := kc.Issue(ctx, "bench", apiv1.IssueRequest{Service: "A", IdempotencyKey: "counter-chip-1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := admin.Next(ctx, "bench", 1); err != nil || !ok {
		t.Fatalf("next: %v %v", ok, err)
	}
	fmt.Fprint(pw, idcardsim.SampleQR+"\r\n")
	want := "OK    Số " + tk.Number + ": chip genuine, 0 trường khác mã trên thẻ, đã gửi"
	waitUntil(t, ctx, "the identity sent", func() bool {
		return strings.Contains(out.String(), want) || strings.Contains(out.String(), "LỖI   Số")
	})
	if !strings.Contains(out.String(), want) {
		t.Fatalf("output %q, want %q", out, want)
	}
	var got map[string]any
	if code, err := admin.Do(ctx, "GET", "/api/v1/tickets/"+tk.ID+"/identity", nil, &got); code != 200 || got["authenticity"] != "genuine" {
		t.Fatalf("identity on the server: %d %v %v", code, got, err)
	}
	if ts, _ := a.store.Tickets(""); len(ts) != 1 || len(ts[0].Identity) != 0 {
		t.Errorf("the outbox keeps the identity: %+v", ts)
	}
	if strings.Contains(out.String(), "Nguyễn") || strings.Contains(out.String(), "001095012345") {
		t.Errorf("the clerk's output carries personal data: %s", out)
	}
}

func TestChipConfig(t *testing.T) {
	cfg, err := ParseConfig(nil, func(k string) string {
		return map[string]string{"XEPHANG_KIOSK_CHIP_READER": "ACS ACR1252", "XEPHANG_KIOSK_CSCA": "/srv/csca"}[k]
	})
	if err != nil || cfg.ChipReader != "ACS ACR1252" || cfg.CSCA != "/srv/csca" || cfg.ChipWait != 4*time.Second {
		t.Fatalf("%+v %v", cfg, err)
	}
	cfg, err = ParseConfig([]string{"-chip-reader", "none", "-chip-wait", "10s"}, func(string) string { return "" })
	if err != nil || cfg.ChipReader != "off" || cfg.ChipWait != 10*time.Second || cfg.CSCA != "/etc/xephang/csca" {
		t.Fatalf("%+v %v", cfg, err)
	}
	if _, err := ParseConfig([]string{"-chip-wait", "2m"}, func(string) string { return "" }); err == nil {
		t.Error("a two-minute wait was accepted")
	}
}

// TestChipWithoutCodeSaysWhatIsNeeded: a card laid on the chip reader
// with no code read: the touchscreen is told to show the QR or the MRZ.
func TestChipWithoutCodeSaysWhatIsNeeded(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	defer func(g time.Duration) { chipGrace = g }(chipGrace)
	chipGrace = 100 * time.Millisecond
	admin := startServer(t)
	dir := t.TempDir()
	enrollKiosk(t, admin, "bench", dir)
	m, k := startKiosk(t, ctx, dir, nil, nil)
	ev := listen(t, k)
	card, err := chipsim.New(chipsim.DemoHolder("adult"), chipsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // the socket is listening
	m.Devices.Sim.Chip.Put(card, 0)
	waitUntil(t, ctx, "the message", func() bool {
		ev.mu.Lock()
		defer ev.mu.Unlock()
		for _, e := range ev.all {
			if c, ok := e["chip"].(map[string]any); ok && c["state"] == "failed" && strings.Contains(fmt.Sprint(c["message"]), "mã QR") {
				return true
			}
		}
		return false
	})
}

// TestCounterScanChipCommand runs `kioskd counter-scan -chip-reader
// -card-reader` as the clerk's PC would, without a scanner: the card's QR
// on a (simulated) serial code reader, its chip on pcscd's reader; the
// identity reaches the ticket served at the counter, checked against the
// CSCA directory.
func TestCounterScanChipCommand(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	d := pcsctest.Start(t)
	slot := vpcd.NewSlot(d.VPCD)
	t.Cleanup(func() { slot.Close() })
	pki, _ := lds.NewPKI("VN", "Test CSCA")
	cscaDir := t.TempDir()
	if err := pki.WriteCSCA(cscaDir); err != nil {
		t.Fatal(err)
	}
	card, err := chipsim.New(chipsim.DemoHolder("adult"), chipsim.Options{PKI: pki})
	if err != nil {
		t.Fatal(err)
	}
	if err := slot.Insert(card); err != nil {
		t.Fatal(err)
	}
	codes, err := idcardsim.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer codes.Close()
	admin := startServer(t)
	dir := t.TempDir()
	enrollKiosk(t, admin, "bench", dir)
	cred, _ := LoadCredential(dir)
	kc := apiv1.NewClient(admin.Base)
	kc.Token = cred.Credential
	tk, err := kc.Issue(ctx, "bench", apiv1.IssueRequest{Service: "A", IdempotencyKey: "counter-chip-cmd"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := admin.Next(ctx, "bench", 1); !ok || err != nil {
		t.Fatalf("next: %v %v", ok, err)
	}
	out := &lockedBuffer{}
	cctx, stop := context.WithCancel(ctx)
	done := make(chan int, 1)
	go func() {
		var errb lockedBuffer
		done <- run(cctx, []string{"counter-scan", "-data", dir, "-counter", "1", "-chip-reader", d.Reader,
			"-card-reader", "serial:" + codes.Path(), "-csca", cscaDir}, strings.NewReader(""), out, &errb)
	}()
	want := "OK    Số " + tk.Number + ": chip genuine, 0 trường khác mã trên thẻ, đã gửi"
	waitUntil(t, ctx, "the identity sent", func() bool {
		codes.SendQR(idcardsim.SampleQR) // until the agent's port is open
		time.Sleep(200 * time.Millisecond)
		return strings.Contains(out.String(), want)
	})
	stop()
	if code := <-done; code != exitOK {
		t.Errorf("exit %d: %s", code, out)
	}
	if got, err := admin.Identity(ctx, tk.ID); err != nil || got.Authenticity != "genuine" || !strings.Contains(string(got.Card), "Nguyễn Văn An") {
		t.Fatalf("identity %+v %v", got, err)
	}
}
