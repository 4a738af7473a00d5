package bridge

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/regbridge/regbridge/providers"
)

// registryErrorBody is distribution's error body.
type registryErrorBody struct {
	Errors []registryErrorItem `json:"errors"`
}

type registryErrorItem struct {
	Code    string          `json:"code"`
	Message string          `json:"message"`
	Detail  json.RawMessage `json:"detail"`
}

func registryError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Docker-Distribution-Api-Version", "registry/2.0")
	writeJSON(w, status, registryErrorBody{Errors: []registryErrorItem{{Code: code, Message: message, Detail: json.RawMessage("null")}}})
}

// catalogFail answers a refused catalog or search request. A refused
// credential gets the registry's Bearer challenge for the catalog scope,
// so registry clients fetch a token and retry; provider error text stays in
// the log.
func (s *Server) catalogFail(ctx context.Context, w http.ResponseWriter, svc *serviceState, scope string, err error) {
	var qe *queryError
	var re *RequestError
	status, code, message := http.StatusInternalServerError, "UNKNOWN", "internal error"
	switch {
	case errors.As(err, &qe):
		status, code, message = http.StatusBadRequest, qe.code, qe.message
	case errors.As(err, &re):
		status, code, message = re.Status, registryCode(re.Status), re.Message
	case errors.Is(err, errNoCatalog):
		status, code, message = http.StatusNotFound, "UNSUPPORTED", "this server serves no catalog for that registry"
	case errors.Is(err, providers.ErrInvalidCredential):
		status, code, message = http.StatusUnauthorized, "UNAUTHORIZED", "authentication required"
		if svc != nil {
			w.Header().Set("WWW-Authenticate", s.catalogChallenge(svc, scope, err))
		}
	case errors.Is(err, errCatalogUnavailable):
		status, code, message = http.StatusServiceUnavailable, "UNAVAILABLE", "the registry's catalog could not be read; try again shortly"
		w.Header().Set("Retry-After", strconv.Itoa(int(defaultRetryAfter.Seconds())))
	case errors.Is(err, providers.ErrUnavailable):
		he := classify(err, s.opts.Realm)
		status, code, message = he.status, he.code, he.message
		for k, v := range he.header {
			w.Header().Set(k, v)
		}
	}
	lvl := slog.LevelInfo
	if status >= 500 {
		lvl = slog.LevelWarn
	}
	s.log.Log(ctx, lvl, "catalog request refused", "status", status, "err", err)
	registryError(w, status, code, message)
}
