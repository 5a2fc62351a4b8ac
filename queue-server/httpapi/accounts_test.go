package httpapi_test

import (
	"context"
	"strings"
	"testing"

	"xephang/queue-server/apiv1"
	"xephang/queue-server/queue"
)

// Device accounts (kiosks, rating tablets) are not users: PUT /users
// refuses them in every form, and GET /users does not list them.
func TestDeviceAccountsAreNotUsers(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	kiosk, en := enrollKiosk(t, e, "Ki-ốt 1")
	p, err := e.clerk.PairRatingTablet(ctx, centreID, 1)
	must(t, err)
	tablet := apiv1.NewClient(e.srv.URL)
	tablet.Token = p.Token
	// Pairing counter 1 again unpairs the first tablet.
	_, err = e.clerk.PairRatingTablet(ctx, centreID, 1)
	must(t, err)
	users, err := e.store.Users()
	must(t, err)
	var unpaired string
	for _, u := range users {
		if u.Role == queue.RoleRating && u.Disabled {
			unpaired = u.Username
		}
	}
	if unpaired == "" {
		t.Fatal("no unpaired tablet account")
	}
	admin := apiv1.PutUserRequest{Role: queue.RoleAdmin, Password: "new-admin-pass"}
	clerk := apiv1.PutUserRequest{Role: queue.RoleClerk, Centre: centreID}
	for _, c := range []struct {
		name, user string
		req        apiv1.PutUserRequest
		want       string
	}{
		{"kiosk made admin", en.Kiosk, admin, "403 forbidden"},
		{"kiosk made admin without a password", en.Kiosk, apiv1.PutUserRequest{Role: queue.RoleAdmin}, "403 forbidden"},
		{"kiosk kept clerk of its centre", en.Kiosk, clerk, "403 forbidden"},
		{"kiosk disabled", en.Kiosk, apiv1.PutUserRequest{Role: queue.RoleClerk, Centre: centreID, Disabled: true}, "403 forbidden"},
		{"kiosk in upper case", strings.ToUpper(en.Kiosk), admin, "403 forbidden"},
		{"kiosk in mixed case", "Kiosk-" + strings.TrimPrefix(en.Kiosk, "kiosk-"), admin, "403 forbidden"},
		{"unpaired tablet enabled again", unpaired, clerk, "403 forbidden"},
		{"unpaired tablet made admin", unpaired, admin, "403 forbidden"},
		{"new name with the kiosk prefix", "kiosk-mine", admin, "403 forbidden"},
		{"new name with the rating prefix", "rating-mine", admin, "403 forbidden"},
		{"new name with the prefix in capitals", "RATING-X", admin, "403 forbidden"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := e.admin.PutUser(ctx, c.user, c.req); apiCode(err) != c.want {
				t.Fatalf("PUT /users/%s: %v, want %s", c.user, err, c.want)
			}
		})
	}
	// Nothing changed: the kiosk is still a kiosk, the tablet still unpaired
	// and its old token still refused, no account took a device name.
	if u, err := e.store.User(en.Kiosk); err != nil || u.Role != queue.RoleKiosk || u.Disabled {
		t.Fatalf("kiosk account now %+v %v", u, err)
	}
	if u, err := e.store.User(unpaired); err != nil || u.Role != queue.RoleRating || !u.Disabled {
		t.Fatalf("tablet account now %+v %v", u, err)
	}
	for _, name := range []string{"kiosk-mine", "rating-mine", "rating-x"} {
		if _, err := e.store.User(name); err == nil {
			t.Fatalf("account %s was created", name)
		}
	}
	if _, err := tablet.Do(ctx, "GET", "/api/v1/me", nil, nil); apiCode(err) != "401 unauthorized" {
		t.Fatalf("unpaired tablet's token: %v", err)
	}
	if _, err := kiosk.Heartbeat(ctx, apiv1.HeartbeatRequest{Version: "1"}); err != nil {
		t.Fatalf("the kiosk after the refused changes: %v", err)
	}
	var list []apiv1.UserView
	_, err = e.admin.Do(ctx, "GET", "/api/v1/users", nil, &list)
	must(t, err)
	for _, u := range list {
		if u.Role != queue.RoleAdmin && u.Role != queue.RoleClerk {
			t.Fatalf("GET /users lists the device account %+v", u)
		}
	}
	if len(list) != 2 {
		t.Fatalf("GET /users: %+v, want admin and canbo1", list)
	}
}

// A password change or a disable ends every session of the account, and
// enabling the account again brings none back.
func TestSessionsEndOnPasswordChangeAndDisable(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	me := func(c *apiv1.Client) string {
		_, err := c.Do(ctx, "GET", "/api/v1/me", nil, nil)
		return apiCode(err)
	}
	second := apiv1.NewClient(e.srv.URL) // the same clerk on another screen
	must(t, second.Login(ctx, "canbo1", "clerk-secret"))
	// Warm the session cache: the change must clear it.
	if me(e.clerk) != "<nil>" || me(second) != "<nil>" {
		t.Fatal("sessions do not work")
	}
	clerk := apiv1.PutUserRequest{Role: queue.RoleClerk, Centre: centreID}
	// The same password again (as the admin's from the environment at each
	// start) is no change.
	same := clerk
	same.Password = "clerk-secret"
	must(t, e.admin.PutUser(ctx, "canbo1", same))
	if me(e.clerk) != "<nil>" {
		t.Fatal("setting the same password ended the session")
	}
	// A new password: every session of the account ends.
	changed := clerk
	changed.Password = "clerk-secret-2"
	must(t, e.admin.PutUser(ctx, "canbo1", changed))
	for _, c := range []*apiv1.Client{e.clerk, second} {
		if got := me(c); got != "401 unauthorized" {
			t.Fatalf("a token from before the password change: %s", got)
		}
	}
	if err := e.clerk.Login(ctx, "canbo1", "clerk-secret"); apiCode(err) != "401 unauthorized" {
		t.Fatalf("the old password: %v", err)
	}
	must(t, e.clerk.Login(ctx, "canbo1", "clerk-secret-2"))
	// Disabled, then enabled again: the session stays ended.
	disabled := clerk
	disabled.Disabled = true
	must(t, e.admin.PutUser(ctx, "canbo1", disabled))
	if got := me(e.clerk); got != "401 unauthorized" {
		t.Fatalf("a token of a disabled account: %s", got)
	}
	must(t, e.admin.PutUser(ctx, "canbo1", clerk))
	if got := me(e.clerk); got != "401 unauthorized" {
		t.Fatalf("a token from before the disable, account enabled again: %s", got)
	}
	must(t, e.clerk.Login(ctx, "canbo1", "clerk-secret-2"))
	if me(e.clerk) != "<nil>" {
		t.Fatal("a new sign-in after enabling does not work")
	}
	// An admin's own password change ends the admin's sessions too.
	must(t, e.admin.PutUser(ctx, "admin", apiv1.PutUserRequest{Role: queue.RoleAdmin, Password: "admin-secret-2"}))
	if got := me(e.admin); got != "401 unauthorized" {
		t.Fatalf("admin token after its password change: %s", got)
	}
	// A kiosk's bearer credential ends with its revocation for good.
	must(t, e.admin.Login(ctx, "admin", "admin-secret-2"))
	kiosk, en := enrollKiosk(t, e, "Ki-ốt 1")
	if me(kiosk) != "<nil>" {
		t.Fatal("kiosk credential does not work")
	}
	_, err := e.admin.Do(ctx, "POST", "/api/v1/kiosks/"+en.Kiosk+"/revoke", nil, nil)
	must(t, err)
	if got := me(kiosk); got != "401 unauthorized" && got != "403 kiosk_revoked" {
		t.Fatalf("revoked kiosk's credential: %s", got)
	}
	if u, _ := e.store.User(en.Kiosk); u.Epoch == 0 {
		t.Fatal("revoking the kiosk did not end its sessions")
	}
}
