package admin

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"kordon/media/trunk"
	"kordon/tokenizer"
	"kordon/types/fault"
)

// Trunks manages the SIP trunks. *trunk.Repo implements it; it checks the
// config scope itself, audits every change and every refusal, and never
// returns a password.
type Trunks interface {
	// List returns every trunk by ID.
	List(ctx context.Context, p tokenizer.Principal) ([]trunk.Trunk, error)
	// Get returns one trunk; fault.NotFound if there is none.
	Get(ctx context.Context, p tokenizer.Principal, id string) (trunk.Trunk, error)
	// Create stores a new trunk: fault.Invalid wrapping trunk.Errors,
	// fault.Conflict for an existing ID.
	Create(ctx context.Context, p tokenizer.Principal, t trunk.Trunk) (trunk.Trunk, error)
	// Update replaces a trunk, keeping the passwords t leaves out.
	Update(ctx context.Context, p tokenizer.Principal, t trunk.Trunk) (trunk.Trunk, error)
	// Delete removes a trunk.
	Delete(ctx context.Context, p tokenizer.Principal, id string) error
}

var _ Trunks = (*trunk.Repo)(nil)

// errNoTrunks answers the trunk routes when the server has no Trunks: the
// routes exist (so a client learns the endpoint is real) but the appliance
// was started without the media edge.
var errNoTrunks = fault.E("admin.trunks", fault.Unavailable, errors.New("trunk management is not configured"))

// trunksResponse is the body of GET /api/v1/trunks.
type trunksResponse struct {
	Trunks []trunk.Trunk `json:"trunks"`
}

func (s *Server) listTrunks(c echo.Context) error {
	if s.cfg.Trunks == nil {
		return errNoTrunks
	}
	p, _ := principalOf(c)
	ts, err := s.cfg.Trunks.List(c.Request().Context(), p)
	if err != nil {
		return err
	}
	if ts == nil {
		ts = []trunk.Trunk{}
	}
	return writeJSON(c, http.StatusOK, trunksResponse{ts})
}

func (s *Server) getTrunk(c echo.Context) error {
	if s.cfg.Trunks == nil {
		return errNoTrunks
	}
	p, _ := principalOf(c)
	t, err := s.cfg.Trunks.Get(c.Request().Context(), p, c.Param("id"))
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, t)
}

func (s *Server) createTrunk(c echo.Context) error {
	if s.cfg.Trunks == nil {
		return errNoTrunks
	}
	t, err := s.decodeTrunk(c)
	if err != nil {
		return err
	}
	p, _ := principalOf(c)
	out, err := s.cfg.Trunks.Create(c.Request().Context(), p, t)
	if err != nil {
		return s.trunkProblem(c, err)
	}
	c.Response().Header().Set("Location", "/api/v1/trunks/"+out.ID)
	return writeJSON(c, http.StatusCreated, out)
}

func (s *Server) updateTrunk(c echo.Context) error {
	if s.cfg.Trunks == nil {
		return errNoTrunks
	}
	t, err := s.decodeTrunk(c)
	if err != nil {
		return err
	}
	id := c.Param("id")
	switch {
	case t.ID == "":
		t.ID = id
	case t.ID != id:
		return fault.E("admin.updateTrunk", fault.Invalid, errors.New("id in the body differs from the trunk in the path; a trunk cannot be renamed (create the new one, then delete the old)"))
	}
	p, _ := principalOf(c)
	out, err := s.cfg.Trunks.Update(c.Request().Context(), p, t)
	if err != nil {
		return s.trunkProblem(c, err)
	}
	return writeJSON(c, http.StatusOK, out)
}

func (s *Server) deleteTrunk(c echo.Context) error {
	if s.cfg.Trunks == nil {
		return errNoTrunks
	}
	p, _ := principalOf(c)
	if err := s.cfg.Trunks.Delete(c.Request().Context(), p, c.Param("id")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// decodeTrunk reads a trunk document: the media type and size rules of
// every request body, then trunk.Decode's strict decoding (unknown fields
// refused and named, nothing after the object), whose errors describe the
// document's shape and never its content.
func (s *Server) decodeTrunk(c echo.Context) (trunk.Trunk, error) {
	var raw json.RawMessage
	if err := decodeJSON(c, s.cfg.MaxBodyBytes, &raw); err != nil {
		return trunk.Trunk{}, err
	}
	return trunk.Decode(raw)
}

// trunkProblem is a problem document with an "errors" member listing
// every field a trunk failed validation on, so that a client can show each
// next to its field.
type trunkProblem struct {
	problem
	Errors trunk.Errors `json:"errors"`
}

// trunkProblem answers a validation failure with every problem listed, in
// the detail (one line) and in "errors". Other errors go to writeProblem.
// The status is problemOf's for fault.Invalid, so the mapping stays in
// one place.
func (s *Server) trunkProblem(c echo.Context, err error) error {
	var es trunk.Errors
	if !fault.Is(err, fault.Invalid) || !errors.As(err, &es) {
		return err
	}
	p := problemOf(err)
	p.RequestID = requestIDOf(c)
	s.log.Debug("request refused", "route", s.routeOf(c), "request_id", p.RequestID, "status", p.Status, "fields", len(es))
	b, merr := json.Marshal(trunkProblem{problem: p, Errors: es})
	if merr != nil {
		return err
	}
	return c.Blob(p.Status, "application/problem+json", b)
}
