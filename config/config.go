package config

import "time"

// Version is the only boot-file version this build reads.
const Version = 1

// Config is the boot configuration. Its YAML form is the boot file; each
// field's yaml tag is its key. Relative paths are resolved against DataDir
// by the path methods (KeyFile, TLSCertFile, ResolvePath, ...), so callers
// never join paths themselves.
type Config struct {
	// Version is the file format version. Required in the file; the only
	// accepted value is 1. Default 1.
	Version int `yaml:"version"`
	// DataDir holds the database, the local key file and the generated TLS
	// certificate. A relative path is relative to the working directory of
	// the process. serve creates it with mode 0700 if it is missing.
	// Default "./kordon-data".
	DataDir string `yaml:"data_dir"`
	// Log configures operational logging. Audit entries are not log lines
	// and are not affected.
	Log Log `yaml:"log"`
	// Admin configures the management listener (console and JSON API).
	Admin Admin `yaml:"admin"`
	// Tokenizer configures normalization and caching of values.
	Tokenizer Tokenizer `yaml:"tokenizer"`
	// Keys chooses the key-encryption-key provider.
	Keys Keys `yaml:"keys"`
	// Audit configures the audit log's checkpoints.
	Audit Audit `yaml:"audit"`
	// Store configures the SQLite database.
	Store Store `yaml:"store"`
}

// Log configures operational logging.
type Log struct {
	// Level is the least severe level written: debug, info, warn or error.
	// Default "info".
	Level string `yaml:"level"`
	// Format is the line format: text (logfmt-style) or json.
	// Default "text".
	Format string `yaml:"format"`
}

// Admin configures the management listener.
type Admin struct {
	// Listen is the host:port the console and API listen on, over HTTPS.
	// An empty host means every interface. Default "127.0.0.1:8443".
	Listen string `yaml:"listen"`
	// TLS names the listener's certificate and key.
	TLS TLS `yaml:"tls"`
	// MaxBodyBytes caps the size of a request body; larger requests are
	// refused. Default 1048576 (1 MiB).
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// ResolveRate is how many resolve requests per second one API key may
	// make on average. Default 50.
	ResolveRate int `yaml:"resolve_rate"`
	// ResolveBurst is how many resolve requests one API key may make at
	// once before ResolveRate applies. Default 100.
	ResolveBurst int `yaml:"resolve_burst"`
}

// TLS names a certificate and its private key. Set both or neither.
type TLS struct {
	// CertFile is the PEM certificate chain, relative to DataDir unless
	// absolute. Default "" meaning <data_dir>/tls/admin.crt, a self-signed
	// certificate generated on first start.
	CertFile string `yaml:"cert_file"`
	// KeyFile is the PEM private key, relative to DataDir unless absolute.
	// Default "" meaning <data_dir>/tls/admin.key, generated with the
	// certificate.
	KeyFile string `yaml:"key_file"`
}

// Tokenizer configures normalization and caching.
type Tokenizer struct {
	// DefaultRegion is the ISO 3166-1 alpha-2 region assumed for phone
	// numbers written without a country code. The file may write it in
	// lower case; Parse upper-cases it. Default "RU".
	DefaultRegion string `yaml:"default_region"`
	// CacheEntries bounds the in-memory value→code cache. 0 means the
	// default; negative values are invalid. Default 262144 (about 25 MB).
	CacheEntries int `yaml:"cache_entries"`
}

// Keys chooses and configures the key-encryption-key provider.
type Keys struct {
	// Provider is where the key-encryption key lives: local (a key file in
	// DataDir) or vault (HashiCorp Vault Transit). Default "local".
	Provider string `yaml:"provider"`
	// Local configures the local provider; ignored unless Provider is local.
	Local Local `yaml:"local"`
	// Vault configures the vault provider; its required fields are required
	// only when Provider is vault.
	Vault Vault `yaml:"vault"`
	// RewrapBatch is how many rows are re-encrypted per transaction after a
	// key rotation. Default 500.
	RewrapBatch int `yaml:"rewrap_batch"`
}

// Local configures the local key provider.
type Local struct {
	// KeyFile is the key file, relative to DataDir unless absolute. It is
	// created with mode 0600 on first start. Default "" meaning
	// <data_dir>/kek.json.
	KeyFile string `yaml:"key_file"`
}

// Vault configures the HashiCorp Vault Transit provider. Credentials are
// read from files named here (or the VAULT_TOKEN environment variable),
// never written in the boot file. File paths are relative to DataDir unless
// absolute.
type Vault struct {
	// Address is Vault's http:// or https:// URL, without credentials.
	// Required when the provider is vault. Default "".
	Address string `yaml:"address"`
	// Mount is the path the Transit secrets engine is mounted at.
	// Default "transit".
	Mount string `yaml:"mount"`
	// Key is the name of the Transit key. Default "kordon".
	Key string `yaml:"key"`
	// Auth is how kordon logs in to Vault: token or approle.
	// Default "token".
	Auth string `yaml:"auth"`
	// TokenFile holds the Vault token, for auth token. When empty, the
	// token is taken from the VAULT_TOKEN environment variable, which must
	// then be set; when both are present, the file wins. Default "".
	TokenFile string `yaml:"token_file"`
	// AppRoleMount is the path the AppRole auth method is mounted at, for
	// auth approle. Default "approle".
	AppRoleMount string `yaml:"approle_mount"`
	// RoleIDFile holds the AppRole role ID. Required for auth approle.
	// Default "".
	RoleIDFile string `yaml:"role_id_file"`
	// SecretIDFile holds the AppRole secret ID. Required for auth approle.
	// Default "".
	SecretIDFile string `yaml:"secret_id_file"`
	// CAFile is a PEM bundle to verify Vault's certificate with. Default ""
	// meaning the system roots.
	CAFile string `yaml:"ca_file"`
	// Timeout bounds each request to Vault. Default 10s.
	Timeout time.Duration `yaml:"timeout"`
}

// Audit configures the audit log's signed checkpoints.
type Audit struct {
	// Origin is the checkpoint origin line: a schema-less URL-like name
	// without spaces or "+". Default "" meaning "kordon/<hostname>".
	Origin string `yaml:"origin"`
	// CheckpointEvery is how many entries may be appended before a
	// checkpoint is signed. Default 1000.
	CheckpointEvery int `yaml:"checkpoint_every"`
	// CheckpointInterval is the longest time new entries wait for a
	// checkpoint. Default 10s.
	CheckpointInterval time.Duration `yaml:"checkpoint_interval"`
}

// Store configures the SQLite database at DatabasePath.
type Store struct {
	// BusyTimeout is how long a writer waits for another process's lock.
	// Default 10s.
	BusyTimeout time.Duration `yaml:"busy_timeout"`
	// MaxBatch caps the writes committed in one transaction. Default 4096.
	MaxBatch int `yaml:"max_batch"`
}

// Default returns the configuration used when no file is given. Every
// value here is the default documented on its field, and the sample
// kordon.yaml spells out exactly these values.
func Default() Config {
	return Config{
		Version: Version,
		DataDir: "./kordon-data",
		Log:     Log{Level: "info", Format: "text"},
		Admin: Admin{
			Listen:       "127.0.0.1:8443",
			MaxBodyBytes: 1 << 20,
			ResolveRate:  50,
			ResolveBurst: 100,
		},
		Tokenizer: Tokenizer{DefaultRegion: "RU", CacheEntries: defaultCacheEntries},
		Keys: Keys{
			Provider: "local",
			Vault: Vault{
				Mount:        "transit",
				Key:          "kordon",
				Auth:         "token",
				AppRoleMount: "approle",
				Timeout:      10 * time.Second,
			},
			RewrapBatch: 500,
		},
		Audit: Audit{CheckpointEvery: 1000, CheckpointInterval: 10 * time.Second},
		Store: Store{BusyTimeout: 10 * time.Second, MaxBatch: 4096},
	}
}

const defaultCacheEntries = 262144
