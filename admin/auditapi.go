package admin

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"kordon/audit"
	"kordon/types/fault"
	"kordon/types/pii"
)

// Search paging limits; they match the audit package's.
const (
	defaultPage = 100
	maxPage     = 1000
)

// searchResponse is the body of the audit search endpoints. NextAfter is
// set when the page is full: pass it as after to read the next page.
type searchResponse struct {
	Entries   []audit.Entry `json:"entries"`
	NextAfter *int64        `json:"next_after,omitempty"`
}

// auditSearch serves GET /api/v1/audit?code=&actor=&action=&value_hash=
// &from=&to=&after=&limit=. The audit log records the read (audit.read,
// naming the reader and the filter) before it returns anything.
func (s *Server) auditSearch(c echo.Context) error {
	const op = "admin.auditSearch"
	q, err := strictQuery(c.Request().URL.RawQuery, "code", "actor", "action", "value_hash", "from", "to", "after", "limit")
	if err != nil {
		return fault.E(op, fault.Invalid, err)
	}
	f := audit.Filter{Code: q["code"], Action: q["action"], ValueHash: q["value_hash"]}
	if err := s.filterCommon(&f, q["actor"], q["from"], q["to"], q["after"], q["limit"]); err != nil {
		return fault.E(op, fault.Invalid, err)
	}
	return s.search(c, f, q["after"] != "")
}

// valueSearchRequest is the body of POST /api/v1/audit/search: a value to
// look for, which the server hashes, so that it never appears in a URL (or
// in the access logs of whatever sits in front of the appliance).
type valueSearchRequest struct {
	Kind   string    `json:"kind"`
	Value  pii.Value `json:"value"`
	Actor  string    `json:"actor"`
	Action string    `json:"action"`
	From   string    `json:"from"`
	To     string    `json:"to"`
	After  *int64    `json:"after"`
	Limit  *int      `json:"limit"`
}

// auditSearchValue serves POST /api/v1/audit/search.
func (s *Server) auditSearchValue(c echo.Context) error {
	const op = "admin.auditSearchValue"
	var req valueSearchRequest
	if err := decodeJSON(c, s.cfg.MaxBodyBytes, &req); err != nil {
		return err
	}
	kind, err := parseKind(req.Kind)
	if err != nil {
		return fault.E(op, fault.Invalid, err)
	}
	if req.Value.IsZero() {
		return fault.E(op, fault.Invalid, errors.New("value is required"))
	}
	hash, err := s.cfg.Tokenizer.ValueHash(kind, req.Value)
	if err != nil {
		return err
	}
	f := audit.Filter{ValueHash: hash, Action: req.Action}
	after, limit := "", ""
	if req.After != nil {
		after = strconv.FormatInt(*req.After, 10)
	}
	if req.Limit != nil {
		limit = strconv.Itoa(*req.Limit)
	}
	if err := s.filterCommon(&f, req.Actor, req.From, req.To, after, limit); err != nil {
		return fault.E(op, fault.Invalid, err)
	}
	return s.search(c, f, req.After != nil)
}

// filterCommon fills the filter fields both search endpoints share.
func (s *Server) filterCommon(f *audit.Filter, actor, from, to, after, limit string) error {
	// The audit package records the actor filter in the audit.read entry;
	// refuse one that could be a telephone number rather than log it.
	if pii.DigitRun(actor) > maxRequestIDDigits {
		return errors.New("actor must not contain 7 or more digits in a row")
	}
	f.ActorID = actor
	var err error
	if f.From, err = parseTime("from", from); err != nil {
		return err
	}
	if f.To, err = parseTime("to", to); err != nil {
		return err
	}
	if after != "" {
		if f.AfterSeq, err = strconv.ParseInt(after, 10, 64); err != nil || f.AfterSeq < 0 {
			return errors.New("after must be an entry seq (a non-negative integer)")
		}
	}
	f.Limit = defaultPage
	if limit != "" {
		if f.Limit, err = strconv.Atoi(limit); err != nil || f.Limit < 1 || f.Limit > maxPage {
			return fmt.Errorf("limit must be an integer from 1 to %d", maxPage)
		}
	}
	return nil
}

// search runs f as the principal and writes the page. NextAfter is set
// when the page is full.
//
// The audit Filter reads AfterSeq 0 as "no lower bound", so it cannot
// continue after entry 0; when a client asks for entries after 0, search
// asks for one more entry and drops entry 0 itself.
func (s *Server) search(c echo.Context, f audit.Filter, afterGiven bool) error {
	p, _ := principalOf(c)
	skipZero := afterGiven && f.AfterSeq == 0
	if skipZero && f.Limit < maxPage {
		f.Limit++
	}
	entries, err := s.cfg.Audit.Search(c.Request().Context(), p.Actor, f)
	if err != nil {
		return err
	}
	full := len(entries) == f.Limit
	if skipZero && len(entries) > 0 && entries[0].Seq == 0 {
		entries = entries[1:]
	}
	resp := searchResponse{Entries: entries}
	if resp.Entries == nil {
		resp.Entries = []audit.Entry{}
	}
	if n := len(entries); n > 0 && full {
		next := entries[n-1].Seq
		resp.NextAfter = &next
	}
	return writeJSON(c, http.StatusOK, resp)
}

// auditCheckpoint serves GET /api/v1/audit/checkpoint: a signed
// checkpoint covering every committed entry, as its signed note. It signs
// one first if entries have been added since the newest.
func (s *Server) auditCheckpoint(c echo.Context) error {
	if _, err := strictQuery(c.Request().URL.RawQuery); err != nil {
		return fault.E("admin.auditCheckpoint", fault.Invalid, err)
	}
	cp, err := s.cfg.Audit.Checkpoint(c.Request().Context())
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, "text/plain; charset=utf-8", []byte(cp.Note))
}

// proofResponse is the body of GET /api/v1/audit/proof/:seq. Hashes is the
// RFC 6962 audit path, each hash in standard base64. Checkpoint is the
// signed note the proof is against, when the caller gave no size.
type proofResponse struct {
	Seq        int64    `json:"seq"`
	TreeSize   int64    `json:"tree_size"`
	Hashes     []string `json:"hashes"`
	Checkpoint string   `json:"checkpoint,omitempty"`
}

// auditProof serves GET /api/v1/audit/proof/:seq?size=N: the inclusion
// proof of entry seq in the tree of size N (a checkpoint the caller
// holds), or, without size, in a fresh checkpoint returned alongside.
func (s *Server) auditProof(c echo.Context) error {
	const op = "admin.auditProof"
	ctx := c.Request().Context()
	q, err := strictQuery(c.Request().URL.RawQuery, "size")
	if err != nil {
		return fault.E(op, fault.Invalid, err)
	}
	seq, err := strconv.ParseInt(c.Param("seq"), 10, 64)
	if err != nil || seq < 0 {
		return fault.E(op, fault.Invalid, errors.New("seq must be an entry seq (a non-negative integer)"))
	}
	resp := proofResponse{Seq: seq}
	if q["size"] != "" {
		if resp.TreeSize, err = strconv.ParseInt(q["size"], 10, 64); err != nil || resp.TreeSize < 1 {
			return fault.E(op, fault.Invalid, errors.New("size must be a tree size (a positive integer)"))
		}
	} else {
		cp, err := s.cfg.Audit.Checkpoint(ctx)
		if err != nil {
			return err
		}
		if seq >= cp.Size {
			return fault.E(op, fault.NotFound, fmt.Errorf("no such entry: the log has %d entries", cp.Size))
		}
		resp.TreeSize, resp.Checkpoint = cp.Size, cp.Note
	}
	proof, err := s.cfg.Audit.ProveInclusion(ctx, seq, resp.TreeSize)
	if fault.Is(err, fault.Invalid) {
		// The audit package names seq and size; they came from the client
		// and could be anything, so they are not repeated.
		return fault.E(op, fault.Invalid, errors.New("want 0 ≤ seq < size ≤ the number of entries in the log"))
	}
	if err != nil {
		return err
	}
	resp.Hashes = make([]string, len(proof))
	for i, h := range proof {
		resp.Hashes[i] = base64.StdEncoding.EncodeToString(h[:])
	}
	return writeJSON(c, http.StatusOK, resp)
}

// strictQuery parses a query string allowing only the named parameters,
// each at most once: a misspelt filter must not silently widen a search.
// Errors name a parameter only when it is one of allowed.
func strictQuery(raw string, allowed ...string) (map[string]string, error) {
	vals, err := url.ParseQuery(raw)
	if err != nil {
		return nil, errors.New("the query string is malformed")
	}
	out := make(map[string]string, len(vals))
	for k, v := range vals {
		known := false
		for _, a := range allowed {
			known = known || a == k
		}
		switch {
		case !known && identifier.MatchString(k):
			return nil, fmt.Errorf("unknown query parameter %q", k)
		case !known:
			return nil, errors.New("the query string has an unknown parameter")
		case len(v) > 1:
			return nil, fmt.Errorf("query parameter %q is given more than once", k)
		}
		out[k] = v[0]
	}
	return out, nil
}

// parseTime reads an RFC 3339 time; empty means no bound.
func parseTime(name, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s must be an RFC 3339 time such as 2025-01-31T09:00:00Z", name)
	}
	return t, nil
}
