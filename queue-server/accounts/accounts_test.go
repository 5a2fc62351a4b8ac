package accounts

import (
	"strings"
	"testing"
	"time"

	"xephang/queue-server/queue"
)

func TestCheckUser(t *testing.T) {
	ok := UserChange{Role: queue.RoleClerk, Centre: "c1", Name: "Nguyễn Văn An", Password: "correct horse"}
	if err := CheckUser("an.nguyen", ok); err != nil {
		t.Fatalf("CheckUser: %v", err)
	}
	for _, c := range []struct {
		name string
		c    UserChange
		code string
	}{
		{"kiosk-1", ok, queue.EForbidden},
		{"Rating-x", ok, queue.EForbidden},
		{"A", ok, queue.EInvalid},
		{"an", UserChange{Role: queue.RoleKiosk, Name: "x"}, queue.EInvalid},
		{"an", UserChange{Role: queue.RoleClerk, Name: "x"}, queue.EInvalid},
		{"an", UserChange{Role: queue.RoleAdmin, Name: "a\u200bb"}, queue.EInvalid},
		{"an", UserChange{Role: queue.RoleAdmin, Name: "x", Password: "short"}, queue.EInvalid},
		{"an", UserChange{Role: queue.RoleAdmin, Name: "x", Password: strings.Repeat("p", 73)}, queue.EInvalid},
	} {
		if err := CheckUser(c.name, c.c); queue.ErrorCode(err) != c.code {
			t.Errorf("CheckUser(%q, %+v) = %v, want %s", c.name, c.c, err, c.code)
		}
	}
}

func TestKioskState(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	k := queue.Kiosk{ID: "kiosk-1", LastSeen: now.Add(-10 * time.Second), CertExpires: now.Add(10 * 24 * time.Hour)}
	if err := KioskUsable(k); err != nil || !KioskOnline(k, now) || !CertExpiring(k, now) {
		t.Fatalf("usable %v, online %v, expiring %v", err, KioskOnline(k, now), CertExpiring(k, now))
	}
	k.Pending = true
	if queue.ErrorCode(KioskUsable(k)) != queue.EKioskPending {
		t.Errorf("pending: %v", KioskUsable(k))
	}
	k.Revoked = true
	if queue.ErrorCode(KioskUsable(k)) != queue.EKioskRevoked || KioskOnline(k, now) {
		t.Errorf("revoked: %v, online %v", KioskUsable(k), KioskOnline(k, now))
	}
}

func TestTokens(t *testing.T) {
	a, b := NewToken(), NewToken()
	if a == b || len(a) != 43 || HashToken(a) == HashToken(b) || len(HashToken(a)) != 64 {
		t.Fatalf("tokens %q %q", a, b)
	}
}
