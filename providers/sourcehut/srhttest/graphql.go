package srhttest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
)

// serveGraphQL answers the subset of meta.sr.ht's schema that token checks
// use, with gqlgen v0.17's transports and statuses:
//
//	{ version { major minor patch } }           any valid token
//	{ me { id username canonicalName } }        grants "" or meta.sr.ht/PROFILE
func (s *Server) serveGraphQL(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/query" {
		http.NotFound(w, r)
		return
	}
	var query string
	switch r.Method {
	case http.MethodGet:
		query = r.URL.Query().Get("query")
	case http.MethodPost:
		mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if mt != "application/json" {
			gqlResponse(w, http.StatusBadRequest, nil, gqlError{Message: "transport not supported"})
			return
		}
		var params struct {
			Query string `json:"query"`
		}
		body, _ := io.ReadAll(r.Body)
		dec := json.NewDecoder(bytes.NewReader(body))
		if err := dec.Decode(&params); err != nil {
			gqlResponse(w, http.StatusBadRequest, nil, gqlError{Message: "json body could not be decoded: " + err.Error()})
			return
		}
		query = params.Query
	default:
		gqlResponse(w, http.StatusBadRequest, nil, gqlError{Message: "transport not supported"})
		return
	}
	fields, err := parseQuery(query)
	if err != nil {
		gqlResponse(w, http.StatusUnprocessableEntity, nil, gqlError{Message: err.Error()})
		return
	}
	auth, _ := r.Context().Value(authKey{}).(*authContext)
	var data bytes.Buffer
	data.WriteByte('{')
	for i, f := range fields {
		if i > 0 {
			data.WriteByte(',')
		}
		fmt.Fprintf(&data, "%q:", f.name)
		switch f.name {
		case "version":
			writeObject(&data, f.sub, map[string]string{"major": "0", "minor": "0", "patch": "0"})
		case "me":
			if auth == nil || !hasMetaProfile(auth.token.Grants) {
				gqlResponse(w, http.StatusOK, nil, gqlError{Message: "Access denied for invalid auth method", Path: []any{"me"}})
				return
			}
			u := auth.token.Username
			writeObject(&data, f.sub, map[string]string{
				"id": "1", "username": strconv.Quote(u), "canonicalName": strconv.Quote("~" + u),
			})
		}
	}
	data.WriteByte('}')
	gqlResponse(w, http.StatusOK, json.RawMessage(data.Bytes()))
}

// writeObject writes the requested subfields in order from vals (JSON
// literals).
func writeObject(b *bytes.Buffer, sub []string, vals map[string]string) {
	b.WriteByte('{')
	for i, name := range sub {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(b, "%q:%s", name, vals[name])
	}
	b.WriteByte('}')
}

// gqlResponse writes {"errors":[…],"data":…} (errors omitted when none,
// data null when nil), as gqlgen does.
func gqlResponse(w http.ResponseWriter, status int, data json.RawMessage, errs ...gqlError) {
	resp := struct {
		Errors []gqlError       `json:"errors,omitempty"`
		Data   *json.RawMessage `json:"data"`
	}{Errors: errs}
	if data != nil {
		resp.Data = &data
	}
	b, err := json.Marshal(resp)
	if err != nil {
		panic(err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
