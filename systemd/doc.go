// Package systemd holds Xếp Hàng's systemd unit files and the test that
// checks them with the real systemd-analyze: verify must print nothing, and
// the offline security score of each unit must stay under its threshold.
// It also holds the one notify and watchdog loop both binaries run
// (Type=notify, WatchdogSec): Ready, Stopping, Watchdog.
package systemd
