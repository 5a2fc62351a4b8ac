//go:build !race

package storecopy_test

// monthDays is how many days of data the copy tests copy (see race_test.go).
const monthDays = 31
