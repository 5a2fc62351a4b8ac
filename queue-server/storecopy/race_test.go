//go:build race

package storecopy_test

// Under the race detector (make test) the copy tests take half a month
// of data instead of a month: every kind, the purge of the first ten
// days and of messages past 14 days still in, half the rows, and the
// detector's 9× slowdown halved on the suite's critical path. The full
// month runs without it (go test, make bench's BenchmarkCopyMonth).
const monthDays = 16
