// Package accounts holds the rules of who may act on the server: user
// accounts and their passwords, sessions (bearer tokens, their expiry and
// epochs), and the credentials of devices: kiosk enrolment (one-time
// tokens that expire, approval, revocation, certificates) and rating
// tablets. The HTTP handlers decode, authorise, call these and encode;
// the rate limits and the session cache stay with them.
//
// Writes take the engine's transaction (engine.Tx), so they are committed
// with the round they run in; reads take the store.
package accounts
