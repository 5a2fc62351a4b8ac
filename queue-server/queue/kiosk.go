package queue

import "time"

// Kiosk is an enrolled kiosk and what its last heartbeat said.
type Kiosk struct {
	ID         string         `json:"id"`
	Centre     string         `json:"centre"`
	Name       string         `json:"name,omitempty"`
	EnrolledAt time.Time      `json:"enrolled_at"`
	LastSeen   time.Time      `json:"last_seen,omitzero"`
	Version    string         `json:"version,omitempty"`
	Devices    []DeviceStatus `json:"devices,omitempty"`
	LastError  string         `json:"last_error,omitempty"`
	Outbox     int            `json:"outbox,omitempty"` // tickets printed offline not yet replayed
	Revoked    bool           `json:"revoked,omitempty"`
	// Pending is set while an enrolment that needs approval waits for an admin.
	Pending bool `json:"pending,omitempty"`
	// The kiosk's client certificate (mutual TLS): serial, and the previous
	// one still accepted until it expires, so a renewal never strands it.
	CertSerial  string    `json:"cert_serial,omitempty"`
	PrevSerial  string    `json:"prev_serial,omitempty"`
	CertExpires time.Time `json:"cert_expires,omitzero"`
}

// Heard records a heartbeat ValidateHeartbeat accepted: when, the kiosk's
// version, its devices, its last error and its outbox count. Names,
// details and the last error are the device's own words, kept as
// PlainText.
func (k *Kiosk) Heard(now time.Time, version string, devices []DeviceStatus, lastError string, outbox int) {
	for i := range devices {
		devices[i].Name = PlainText(devices[i].Name)
		devices[i].Detail = PlainText(devices[i].Detail)
	}
	k.LastSeen, k.Version, k.Devices, k.LastError, k.Outbox = now, version, devices, PlainText(lastError), outbox
}

// DeviceStatus is one device of a kiosk as it reports it.
type DeviceStatus struct {
	Name   string `json:"name"`
	Kind   string `json:"kind"`   // printer, card-reader, scanner, a4printer
	Status string `json:"status"` // ok, warning, error, disconnected, unknown, absent
	Detail string `json:"detail,omitempty"`
}

// Enrollment is a one-time enrolment token's server side, stored by the
// token's hash.
type Enrollment struct {
	Hash        string    `json:"hash"`
	Centre      string    `json:"centre"`
	Expires     time.Time `json:"expires"`
	CreatedBy   string    `json:"created_by"`
	CreatedAt   time.Time `json:"created_at,omitzero"`
	UsedBy      string    `json:"used_by,omitempty"`  // the kiosk it enrolled
	Approval    bool      `json:"approval,omitempty"` // the kiosk waits for an admin's approval
	CancelledBy string    `json:"cancelled_by,omitempty"`
	CancelledAt time.Time `json:"cancelled_at,omitzero"`
}

// EnrollmentStatus says where a token stands at now: active, used,
// cancelled or expired.
func (en Enrollment) Status(now time.Time) string {
	switch {
	case en.UsedBy != "":
		return "used"
	case en.CancelledBy != "":
		return "cancelled"
	case !now.Before(en.Expires):
		return "expired"
	}
	return "active"
}
