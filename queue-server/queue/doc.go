// Package queue is the domain of Xếp Hàng's queue server: centres, services,
// counters, tickets, the calling rule, estimated waits and the events that
// record every change.
//
// It is pure Go: no I/O, no goroutines, the clock and the source of random
// identifiers injected. Persistence and transport live in adapter packages
// behind the interfaces declared here (Store). A Live value holds one centre's
// working state; its commands check everything first and only then mutate,
// so a refused command changes nothing, and every mutation is recorded in the
// Changes the caller takes and commits.
package queue
