package admin

import (
	"crypto/rand"
	"encoding/base32"

	"github.com/labstack/echo/v4"

	"kordon/types/pii"
)

const (
	headerRequestID = "X-Request-ID"
	maxRequestID    = 64
	// maxRequestIDDigits is the longest digit run a client's request id
	// may hold. Request ids go into logs and the audit log, so one that
	// could be a telephone number is replaced rather than repeated.
	maxRequestIDDigits = 6
)

var ridEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// requestID returns the client's X-Request-ID if it is a safe token (1 to
// 64 characters of A-Z, a-z, 0-9, '.', '_', '-', with no run of seven or
// more digits), and otherwise a fresh one. The response always carries the
// id used, so a client whose id was replaced can still correlate.
func requestID(client string) string {
	if validRequestID(client) {
		return client
	}
	var b [10]byte
	for {
		rand.Read(b[:])
		id := ridEncoding.EncodeToString(b[:])
		if pii.DigitRun(id) <= 4 {
			return id
		}
	}
}

func validRequestID(s string) bool {
	if s == "" || len(s) > maxRequestID || pii.DigitRun(s) > maxRequestIDDigits {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// Keys of values stored on an echo.Context.
const (
	keyRequestID = "kordon.request_id"
	keyPrincipal = "kordon.principal"
)

// requestIDOf returns the request's id, set by the observe middleware.
func requestIDOf(c echo.Context) string {
	id, _ := c.Get(keyRequestID).(string)
	return id
}
