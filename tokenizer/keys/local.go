package keys

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// LocalConfig configures the local provider.
type LocalConfig struct {
	// Path is the key file. Required; there is no default. Its directory
	// must exist. The file is created with mode 0600 on first use and
	// refused if its mode is broader than 0600. A sibling file Path+".lock"
	// serialises writers across processes.
	Path string
}

// Local is the "local" Provider: the KEK versions live in a JSON file and
// wrapping is AES-256-GCM in this process. It is safe for concurrent use, and
// several processes may share one key file (see the package comment).
type Local struct {
	path     string
	lockPath string

	// ioMu serialises this process's reads and writes of the key file, so
	// that an older read can never be installed over a newer one.
	ioMu sync.Mutex

	mu     sync.RWMutex
	keks   map[int]cipher.AEAD // by KEK version; nil until first use
	newest int
}

var _ Provider = (*Local)(nil)

const (
	localName       = "local"
	localFileFormat = 1       // the "version" field of the key file
	localKeySize    = 32      // AES-256
	localMaxFile    = 1 << 20 // far beyond any real number of versions
)

// keyFile is the key file's JSON layout:
//
//	{"version":1,"keys":[{"version":1,"key":"<base64 of 32 bytes>","created":"2025-…Z"}]}
type keyFile struct {
	Version int       `json:"version"`
	Keys    []fileKey `json:"keys"`
}

type fileKey struct {
	Version int       `json:"version"`
	Key     []byte    `json:"key"` // base64 in JSON
	Created time.Time `json:"created"`
}

// NewLocal returns a local provider for the key file cfg.Path. It touches no
// file; the first call that needs a key reads or creates it.
func NewLocal(cfg LocalConfig) (*Local, error) {
	if cfg.Path == "" {
		return nil, errors.New("local keys: LocalConfig.Path is required")
	}
	p := filepath.Clean(cfg.Path)
	return &Local{path: p, lockPath: p + ".lock"}, nil
}

// Name returns "local".
func (l *Local) Name() string { return localName }

// Wrap encrypts plaintext under the newest KEK version this process knows.
// A version added by another process is picked up by Rewrap, Rotate and
// Status, which re-read the file; wrapping under the previous version until
// then is harmless.
func (l *Local) Wrap(ctx context.Context, plaintext []byte) (string, error) {
	if err := l.ensureLoaded(ctx); err != nil {
		return "", err
	}
	l.mu.RLock()
	v, aead := l.newest, l.keks[l.newest]
	l.mu.RUnlock()
	return sealLocal(v, aead, plaintext), nil
}

// Unwrap decrypts a value produced by Wrap under any KEK version in the key
// file. A version newer than this process knows makes it re-read the file
// once, since another process may have rotated.
func (l *Local) Unwrap(ctx context.Context, wrapped string) ([]byte, error) {
	v, sealed, err := parseLocal(wrapped)
	if err != nil {
		return nil, err
	}
	aead, err := l.kek(ctx, v)
	if err != nil {
		return nil, err
	}
	pt, err := aead.Open(nil, nil, sealed, localAAD(v))
	if err != nil {
		return nil, fmt.Errorf("local keys: unwrap under KEK v%d from %s: authentication failed: %w", v, l.path, ErrWrapped)
	}
	return pt, nil
}

// Rewrap re-encrypts wrapped under the newest KEK version in the key file.
func (l *Local) Rewrap(ctx context.Context, wrapped string) (string, error) {
	if err := l.refresh(ctx); err != nil {
		return "", err
	}
	pt, err := l.Unwrap(ctx, wrapped)
	if err != nil {
		return "", err
	}
	defer clear(pt)
	return l.Wrap(ctx, pt)
}

// Rotate appends a new KEK version to the key file and returns it. It holds
// the file lock while it re-reads the file, appends and atomically replaces
// it, so concurrent rotations from several processes each add a version.
func (l *Local) Rotate(ctx context.Context) (int, error) {
	l.ioMu.Lock()
	defer l.ioMu.Unlock()
	unlock, err := l.lockFile(ctx)
	if err != nil {
		return 0, err
	}
	defer unlock()

	kf, err := l.readFile()
	if errors.Is(err, fs.ErrNotExist) {
		kf, err = &keyFile{Version: localFileFormat}, nil
		if err := kf.add(); err != nil {
			return 0, err
		}
	}
	if err != nil {
		return 0, err
	}
	defer kf.wipe()
	if err := kf.add(); err != nil {
		return 0, err
	}
	if err := l.writeFile(kf); err != nil {
		return 0, err
	}
	return l.install(kf), nil
}

// Status re-reads the key file and reports its newest version.
func (l *Local) Status(ctx context.Context) (Status, error) {
	if err := l.refresh(ctx); err != nil {
		return Status{}, err
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	return Status{Provider: localName, Location: l.path, Version: l.newest, Versions: len(l.keks)}, nil
}

// kek returns the AEAD for version v, re-reading the file once if v is newer
// than any version this process knows.
func (l *Local) kek(ctx context.Context, v int) (cipher.AEAD, error) {
	if err := l.ensureLoaded(ctx); err != nil {
		return nil, err
	}
	l.mu.RLock()
	aead, newest := l.keks[v], l.newest
	l.mu.RUnlock()
	if aead == nil && v > newest {
		if err := l.refresh(ctx); err != nil {
			return nil, err
		}
		l.mu.RLock()
		aead = l.keks[v]
		l.mu.RUnlock()
	}
	if aead == nil {
		return nil, fmt.Errorf("local keys: unwrap: KEK v%d is not in %s: %w", v, l.path, ErrWrapped)
	}
	return aead, nil
}

// ensureLoaded reads (or creates) the key file on first use.
func (l *Local) ensureLoaded(ctx context.Context) error {
	l.mu.RLock()
	loaded := l.keks != nil
	l.mu.RUnlock()
	if loaded {
		return nil
	}
	return l.refresh(ctx)
}

// refresh re-reads the key file into memory, creating it with a first
// version if it does not exist.
func (l *Local) refresh(ctx context.Context) error {
	l.ioMu.Lock()
	defer l.ioMu.Unlock()
	kf, err := l.readFile()
	if errors.Is(err, fs.ErrNotExist) {
		kf, err = l.create(ctx)
	}
	if err != nil {
		return err
	}
	defer kf.wipe()
	l.install(kf)
	return nil
}

// create writes a key file holding version 1, unless another process
// created one while this one waited for the lock.
func (l *Local) create(ctx context.Context) (*keyFile, error) {
	unlock, err := l.lockFile(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	kf, err := l.readFile()
	if !errors.Is(err, fs.ErrNotExist) {
		return kf, err
	}
	kf = &keyFile{Version: localFileFormat}
	if err := kf.add(); err != nil {
		return nil, err
	}
	if err := l.writeFile(kf); err != nil {
		kf.wipe()
		return nil, err
	}
	return kf, nil
}

// install replaces the in-memory versions with those of kf and returns the
// newest. Callers hold ioMu.
func (l *Local) install(kf *keyFile) int {
	keks := make(map[int]cipher.AEAD, len(kf.Keys))
	for _, k := range kf.Keys {
		keks[k.Version] = newLocalAEAD(k.Key)
	}
	newest := kf.Keys[len(kf.Keys)-1].Version
	l.mu.Lock()
	l.keks, l.newest = keks, newest
	l.mu.Unlock()
	return newest
}

// readFile reads and validates the key file. A missing file is reported
// with an error satisfying errors.Is(err, fs.ErrNotExist).
func (l *Local) readFile() (*keyFile, error) {
	f, err := os.Open(l.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("local keys: open key file: %w: %w", err, ErrUnavailable)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("local keys: stat key file: %w: %w", err, ErrUnavailable)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("local keys: key file %s is not a regular file: %w", l.path, ErrUnavailable)
	}
	if perm := fi.Mode().Perm(); perm&^0o600 != 0 {
		return nil, fmt.Errorf("local keys: key file %s has mode %#o, broader than 0600; run chmod 600 %s: %w",
			l.path, perm, l.path, ErrUnavailable)
	}
	data, err := io.ReadAll(io.LimitReader(f, localMaxFile+1))
	if err != nil {
		return nil, fmt.Errorf("local keys: read key file: %w: %w", err, ErrUnavailable)
	}
	defer clear(data)
	if len(data) > localMaxFile {
		return nil, fmt.Errorf("local keys: key file %s is larger than %d bytes: %w", l.path, localMaxFile, ErrUnavailable)
	}
	kf, err := parseKeyFile(data)
	if err != nil {
		return nil, fmt.Errorf("local keys: parse key file %s: %w: %w", l.path, err, ErrUnavailable)
	}
	return kf, nil
}

// parseKeyFile decodes and validates a key file. Its errors never quote the
// file's contents.
func parseKeyFile(data []byte) (_ *keyFile, err error) {
	var kf keyFile
	defer func() {
		if err != nil {
			kf.wipe()
		}
	}()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&kf); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return nil, fmt.Errorf("malformed JSON at byte %d", syn.Offset)
		}
		return nil, err // type and base64 errors name fields and offsets, not values
	}
	if dec.More() {
		return nil, errors.New("trailing data after the JSON object")
	}
	if kf.Version != localFileFormat {
		return nil, fmt.Errorf("format version %d, want %d", kf.Version, localFileFormat)
	}
	if len(kf.Keys) == 0 {
		return nil, errors.New("no keys")
	}
	for i, k := range kf.Keys {
		switch {
		case k.Version < 1:
			return nil, fmt.Errorf("key %d: version %d is not positive", i, k.Version)
		case i > 0 && k.Version <= kf.Keys[i-1].Version:
			return nil, fmt.Errorf("key %d: version %d does not follow version %d", i, k.Version, kf.Keys[i-1].Version)
		case len(k.Key) != localKeySize:
			return nil, fmt.Errorf("key version %d: %d bytes, want %d", k.Version, len(k.Key), localKeySize)
		}
	}
	return &kf, nil
}

// add appends a fresh random version after the newest.
func (kf *keyFile) add() error {
	v := 1
	if n := len(kf.Keys); n > 0 {
		v = kf.Keys[n-1].Version + 1
	}
	key := make([]byte, localKeySize)
	if _, err := rand.Read(key); err != nil {
		return fmt.Errorf("local keys: generate KEK v%d: %w", v, err)
	}
	kf.Keys = append(kf.Keys, fileKey{Version: v, Key: key, Created: time.Now().UTC().Truncate(time.Second)})
	return nil
}

// wipe zeroes the key bytes once they are no longer needed. The AEADs keep
// their own copy of the key schedule.
func (kf *keyFile) wipe() {
	for _, k := range kf.Keys {
		clear(k.Key)
	}
}

// writeFile replaces the key file atomically: a temporary file in the same
// directory, fsync, rename over the key file, fsync the directory. Callers
// hold the file lock.
func (l *Local) writeFile(kf *keyFile) error {
	data, err := json.MarshalIndent(kf, "", "  ")
	if err != nil {
		return fmt.Errorf("local keys: encode key file: %w", err)
	}
	defer clear(data)
	data = append(data, '\n')

	dir := filepath.Dir(l.path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(l.path)+".tmp-*") // mode 0600
	if err != nil {
		return fmt.Errorf("local keys: create temporary key file in %s: %w: %w", dir, err, ErrUnavailable)
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("local keys: write %s: %w: %w", tmp.Name(), err, ErrUnavailable)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("local keys: sync %s: %w: %w", tmp.Name(), err, ErrUnavailable)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("local keys: close %s: %w: %w", tmp.Name(), err, ErrUnavailable)
	}
	if err := os.Rename(tmp.Name(), l.path); err != nil {
		return fmt.Errorf("local keys: replace key file: %w: %w", err, ErrUnavailable)
	}
	ok = true
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("local keys: open key directory to sync: %w: %w", err, ErrUnavailable)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("local keys: sync key directory %s: %w: %w", dir, err, ErrUnavailable)
	}
	return nil
}

// lockFile takes an exclusive flock on the sibling lock file, polling so
// that ctx can cancel the wait. The lock file is never removed: removing it
// would let two processes lock different files.
func (l *Local) lockFile(ctx context.Context) (unlock func(), err error) {
	f, err := os.OpenFile(l.lockPath, os.O_RDWR|os.O_CREATE, 0o600)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("local keys: key directory %s does not exist: %w", filepath.Dir(l.path), ErrUnavailable)
	}
	if err != nil {
		return nil, fmt.Errorf("local keys: open lock file: %w: %w", err, ErrUnavailable)
	}
	const poll = 10 * time.Millisecond
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() {
				syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
				f.Close()
			}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, fmt.Errorf("local keys: lock %s: %w: %w", l.lockPath, err, ErrUnavailable)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("local keys: wait for lock %s: %w: %w", l.lockPath, ctx.Err(), ErrUnavailable)
		case <-time.After(poll):
		}
	}
}

// newLocalAEAD returns AES-256-GCM with a random 96-bit nonce that Seal
// prepends to the ciphertext and Open reads back.
func newLocalAEAD(key []byte) cipher.AEAD {
	block, err := aes.NewCipher(key)
	if err != nil {
		panic("local keys: " + err.Error()) // parseKeyFile checked the length
	}
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		panic("local keys: " + err.Error())
	}
	return aead
}

// localAAD binds the KEK version into the ciphertext, so relabelling a value
// "v1" as "v2" fails even if both versions held the same key.
func localAAD(v int) []byte { return []byte("kordon/keys/local:v" + strconv.Itoa(v)) }

func sealLocal(v int, aead cipher.AEAD, plaintext []byte) string {
	sealed := aead.Seal(nil, nil, plaintext, localAAD(v))
	return localName + ":v" + strconv.Itoa(v) + ":" + base64.StdEncoding.EncodeToString(sealed)
}

// parseLocal splits "local:v<N>:<base64>" into the version and the sealed
// bytes (nonce, ciphertext, tag).
func parseLocal(wrapped string) (int, []byte, error) {
	provider, v, body, err := splitWrapped(wrapped)
	if err != nil {
		return 0, nil, fmt.Errorf("local keys: unwrap: %w", err)
	}
	if provider != localName {
		return 0, nil, fmt.Errorf("local keys: unwrap: value from provider %q, not %q: %w", provider, localName, ErrWrapped)
	}
	sealed, err := base64.StdEncoding.DecodeString(body)
	if err != nil || len(sealed) < 12+16 {
		return 0, nil, fmt.Errorf("local keys: unwrap: malformed payload for KEK v%d: %w", v, ErrWrapped)
	}
	return v, sealed, nil
}

// splitWrapped splits the shared wrapped format "<provider>:v<N>:<body>".
// Its errors wrap ErrWrapped and quote nothing of the value but a provider
// name that looks like one.
func splitWrapped(wrapped string) (provider string, version int, body string, err error) {
	provider, rest, ok1 := strings.Cut(wrapped, ":")
	vs, body, ok2 := strings.Cut(rest, ":")
	if !ok1 || !ok2 || !isProviderName(provider) || !strings.HasPrefix(vs, "v") {
		return "", 0, "", fmt.Errorf("value is not <provider>:v<N>:<data>: %w", ErrWrapped)
	}
	version, err = strconv.Atoi(vs[1:])
	if err != nil || version < 1 || vs[1] == '0' || vs[1] == '+' {
		return "", 0, "", fmt.Errorf("value from provider %q has a malformed version: %w", provider, ErrWrapped)
	}
	return provider, version, body, nil
}

func isProviderName(s string) bool {
	if s == "" || len(s) > 16 {
		return false
	}
	for _, c := range s {
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}
