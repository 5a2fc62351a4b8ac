// Package provisioning holds what installs Xếp Hàng on Debian machines: the
// kiosk and server install scripts, the kiosk's udev rules, the development
// dependencies, and the tests that keep them sound: shellcheck on every
// shell script of the repository, a syntax check of the udev rules, and
// (behind the nspawn build tag, `make test-provisioning`) the end-to-end
// install and boot of a kiosk in a Debian 12 container.
package provisioning
