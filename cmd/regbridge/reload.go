package main

import (
	"context"
	"errors"
	"net/http"
	"os"
	"time"

	"github.com/regbridge/regbridge/bridge"
)

// loop serves until ctx ends (then drains hs) or the listener fails,
// reloading on SIGHUP (which also reopens the audit file) and, when
// watching, on a change of a watched file.
func (rt *runtime) loop(ctx context.Context, hs *http.Server, errc <-chan error, hup <-chan os.Signal) error {
	tick := make(<-chan time.Time)
	if rt.watch != nil && rt.cfg.watchEnabled() {
		t := time.NewTicker(rt.cfg.reloadInterval())
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return rt.shutdown(hs)
		case err := <-errc:
			if errors.Is(err, http.ErrServerClosed) {
				return nil
			}
			return err
		case <-hup:
			rt.obs.reopenAudit()
			rt.reload("SIGHUP")
		case <-tick:
			if changed := rt.watch.changed(); changed != "" {
				rt.reload("change of " + changed)
			}
		}
	}
}

// reload rebuilds the configuration and policy and swaps them in. A file
// that fails to load, lint or test is refused and the last good state stays.
func (rt *runtime) reload(why string) {
	if rt.quick {
		rt.log.Info("quick-start has no files to reload", "trigger", why)
		return
	}
	cfg, err := loadConfig(rt.cfg.file, rt.env)
	if err != nil {
		rt.obs.reloaded(false)
		rt.srv.RefuseReload(why, err)
		return
	}
	var cache *bridge.CredentialCache
	if rt.watch.inputsUnchanged() {
		cache = rt.srv.State().Cache()
	}
	st, b, err := rt.buildState(cfg, cache)
	if err != nil {
		rt.obs.reloaded(false)
		rt.srv.RefuseReload(why, err)
		return
	}
	rt.watch.accept(b.policyFile(), b.providerFiles())
	rt.srv.Swap(st, why)
	rt.keySets.Prune() // the key sets of removed providers are let go
	rt.obs.reloaded(true)
	restart := restartRequired(rt.cfg, cfg)
	if len(restart) > 0 {
		rt.log.Warn("changed settings take effect only at the next restart; the running server keeps their old values",
			"trigger", why, "restart_required", restart)
	}
	rt.log.Info("configuration reloaded", "trigger", why, "policy", b.policyFile(), "restart_required", restart)
}
