package media

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

// digestRealm is the realm of every challenge the edge issues.
const digestRealm = "kordon"

// nonceLife is how long a challenge may be answered.
const nonceLife = 60 * time.Second

// maxNonces bounds the outstanding challenges, so an unauthenticated flood
// of INVITEs cannot grow memory without limit; the oldest are dropped.
const maxNonces = 65536

// nonces issues one fresh nonce per challenge and accepts each nonce for
// one successful authentication within nonceLife. The bundled sipgo example
// uses one global nonce and never checks it; a replayed Authorization
// header must not open a second call.
type nonces struct {
	mu    sync.Mutex
	m     map[string]nonceState
	order []string // issue order, for eviction
	now   func() time.Time
}

type nonceState struct {
	trunk   string
	expires time.Time
}

func newNonces(now func() time.Time) *nonces {
	return &nonces{m: make(map[string]nonceState), now: now}
}

// issue makes a challenge for trunkID.
func (n *nonces) issue(trunkID string) *digest.Challenge {
	var b [16]byte
	rand.Read(b[:])
	nonce := hex.EncodeToString(b[:])
	n.mu.Lock()
	now := n.now()
	for len(n.order) > 0 && (len(n.m) >= maxNonces || n.expired(n.order[0], now)) {
		delete(n.m, n.order[0])
		n.order = n.order[1:]
	}
	n.m[nonce] = nonceState{trunk: trunkID, expires: now.Add(nonceLife)}
	n.order = append(n.order, nonce)
	n.mu.Unlock()
	return &digest.Challenge{Realm: digestRealm, Nonce: nonce, Algorithm: "MD5", QOP: []string{"auth"}}
}

func (n *nonces) expired(nonce string, now time.Time) bool {
	st, ok := n.m[nonce]
	return !ok || now.After(st.expires)
}

// take consumes nonce if it was issued for trunkID and is still fresh.
func (n *nonces) take(nonce, trunkID string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	st, ok := n.m[nonce]
	if !ok || st.trunk != trunkID || n.now().After(st.expires) {
		return false
	}
	delete(n.m, nonce) // the order slice drops it lazily
	return true
}

// checkDigest verifies the Authorization header of req against user and
// password. It consumes the nonce only when the response is right, so a
// mistyped password does not burn a retransmission's chance.
func (n *nonces) checkDigest(req *sip.Request, trunkID, user, password string) bool {
	h := req.GetHeader("Authorization")
	if h == nil {
		return false
	}
	cred, err := digest.ParseCredentials(h.Value())
	if err != nil || cred.Username != user || cred.Realm != digestRealm {
		return false
	}
	alg := cred.Algorithm
	if alg == "" {
		alg = "MD5"
	}
	if alg != "MD5" && alg != "SHA-256" {
		return false
	}
	chal := &digest.Challenge{Realm: digestRealm, Nonce: cred.Nonce, Algorithm: alg}
	if cred.QOP != "" {
		chal.QOP = []string{cred.QOP}
	}
	want, err := digest.Digest(chal, digest.Options{
		Method:   string(req.Method),
		URI:      cred.URI,
		Username: user,
		Password: password,
		Cnonce:   cred.Cnonce,
		Count:    cred.Nc,
	})
	if err != nil || subtle.ConstantTimeCompare([]byte(want.Response), []byte(cred.Response)) != 1 {
		return false
	}
	return n.take(cred.Nonce, trunkID)
}
