package bridge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"
)

// RevokeRefresh records r in store at now: every refresh token it names that
// was issued at or before now is refused from the next redemption on, at
// every replica sharing store. The record outlives every token it can match.
func RevokeRefresh(ctx context.Context, store RefreshStore, r Revocation, now time.Time) error {
	key, err := r.Key()
	if err != nil {
		return err
	}
	if err := store.RevokeRefresh(ctx, key, now, now.Add(MaxRefreshTTL+time.Minute)); err != nil {
		return fmt.Errorf("bridge: revoke: %w", err)
	}
	return nil
}

// RevocationHandler serves POST form requests that revoke refresh tokens:
// `provider` and `subject`, `provider`, `claim` (run_id, job_id,
// pipeline_id) and `value`, or `id` (the audit log's refresh_id). It belongs
// on the admin listener only: it has no authentication of its own.
func RevocationHandler(store RefreshStore, now func() time.Time, log *slog.Logger) http.Handler {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "use POST"})
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
		if err := r.ParseForm(); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "malformed form"})
			return
		}
		rev := Revocation{Provider: r.PostForm.Get("provider"), Subject: r.PostForm.Get("subject"),
			Claim: r.PostForm.Get("claim"), Value: r.PostForm.Get("value"), TokenID: r.PostForm.Get("id")}
		at := now()
		if err := RevokeRefresh(r.Context(), store, rev, at); err != nil {
			status := http.StatusServiceUnavailable
			if errors.Is(err, errBadRevocation) {
				status = http.StatusBadRequest
			}
			writeJSON(w, status, map[string]string{"error": err.Error()})
			return
		}
		log.Info("refresh tokens revoked", "provider", rev.Provider, "subject", rev.Subject, "claim", rev.Claim,
			"value", rev.Value, "refresh_id", rev.TokenID, "at", at)
		writeJSON(w, http.StatusOK, map[string]string{"revoked_at": at.UTC().Format(time.RFC3339Nano)})
	})
}
