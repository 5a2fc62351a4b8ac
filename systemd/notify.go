package systemd

import (
	"context"
	"log/slog"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
)

// Ready tells systemd the service is serving (Type=notify); nothing
// without a notify socket.
func Ready() { daemon.SdNotify(false, daemon.SdNotifyReady) }

// Stopping tells systemd the service is on its way out.
func Stopping() { daemon.SdNotify(false, daemon.SdNotifyStopping) }

// Watchdog pings systemd's watchdog (WatchdogSec) at half its interval
// until ctx is done, but only while check, given a quarter of the
// interval, returns nil: a failed check is logged and the ping withheld,
// so a wedged service gets restarted. Without a watchdog it returns at
// once. Both queue-server and kioskd run it.
func Watchdog(ctx context.Context, log *slog.Logger, check func(context.Context) error) {
	every, err := daemon.SdWatchdogEnabled(false)
	if err != nil || every == 0 {
		return
	}
	t := time.NewTicker(every / 2)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			c, cancel := context.WithTimeout(ctx, every/4)
			err := check(c)
			cancel()
			if err != nil {
				log.Error("withholding the watchdog ping", "err", err)
				continue
			}
			daemon.SdNotify(false, daemon.SdNotifyWatchdog)
		}
	}
}
