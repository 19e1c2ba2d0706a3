package nakamatest

import (
	"net"
	"slices"
	"strconv"

	"github.com/heroiclabs/nakama-common/runtime"
)

// moduleConfig is the runtime.Config a module's Initializer.GetConfig
// returns: the server's options; providers, stores and Satori are
// unconfigured, as in the real server's defaults.
type moduleConfig struct{ s *Server }

// GetConfig returns the server's configuration, read only.
func (i *moduleInitializer) GetConfig() (runtime.Config, error) { return moduleConfig{i.s}, nil }

func (c moduleConfig) GetName() string                         { return matchNode }
func (c moduleConfig) GetShutdownGraceSec() int                { return 0 }
func (c moduleConfig) GetLogger() runtime.LoggerConfig         { return configLogger{} }
func (c moduleConfig) GetSession() runtime.SessionConfig       { return configSession(c) }
func (c moduleConfig) GetSocket() runtime.SocketConfig         { return configSocket(c) }
func (c moduleConfig) GetSocial() runtime.SocialConfig         { return configSocial{} }
func (c moduleConfig) GetRuntime() runtime.RuntimeConfig       { return configRuntime(c) }
func (c moduleConfig) GetIAP() runtime.IAPConfig               { return configIAP{} }
func (c moduleConfig) GetGoogleAuth() runtime.GoogleAuthConfig { return configEmpty{} }
func (c moduleConfig) GetSatori() runtime.SatoriConfig         { return configEmpty{} }

type configLogger struct{}

func (configLogger) GetLevel() string { return "info" }

type configSession moduleConfig

func (c configSession) GetEncryptionKey() string        { return c.s.opts.EncryptionKey }
func (c configSession) GetTokenExpirySec() int64        { return c.s.tokenLifetime() }
func (c configSession) GetRefreshEncryptionKey() string { return c.s.opts.RefreshEncryptionKey }
func (c configSession) GetRefreshTokenExpirySec() int64 { return c.s.refreshLifetime() }
func (c configSession) GetSingleSocket() bool           { return false }
func (c configSession) GetSingleMatch() bool            { return false }
func (c configSession) GetSingleParty() bool            { return false }
func (c configSession) GetSingleSession() bool          { return c.s.opts.SingleSession }

// configSocket reports the configured address (port 0 for the default
// free port), as the server reports its configuration: GetConfig is
// usable during InitModule, before the server listens.
type configSocket moduleConfig

func (c configSocket) GetServerKey() string { return c.s.opts.ServerKey }
func (c configSocket) GetPort() int {
	_, p, _ := net.SplitHostPort(c.s.opts.Addr)
	n, _ := strconv.Atoi(p)
	return n
}
func (c configSocket) GetAddress() string {
	h, _, _ := net.SplitHostPort(c.s.opts.Addr)
	return h
}
func (c configSocket) GetProtocol() string { return "tcp" }

type configRuntime moduleConfig

func (c configRuntime) GetEnv() []string {
	var out []string
	for k, v := range c.s.opts.RuntimeEnv {
		out = append(out, k+"="+v)
	}
	slices.Sort(out)
	return out
}
func (c configRuntime) GetHTTPKey() string { return c.s.opts.HTTPKey }

type configSocial struct{}

func (configSocial) GetSteam() runtime.SocialConfigSteam { return configEmpty{} }
func (configSocial) GetFacebookInstantGame() runtime.SocialConfigFacebookInstantGame {
	return configEmpty{}
}
func (configSocial) GetFacebookLimitedLogin() runtime.SocialConfigFacebookLimitedLogin {
	return configEmpty{}
}
func (configSocial) GetApple() runtime.SocialConfigApple { return configEmpty{} }

type configIAP struct{}

func (configIAP) GetApple() runtime.IAPAppleConfig                     { return configEmpty{} }
func (configIAP) GetGoogle() runtime.IAPGoogleConfig                   { return configEmpty{} }
func (configIAP) GetHuawei() runtime.IAPHuaweiConfig                   { return configEmpty{} }
func (configIAP) GetFacebookInstant() runtime.IAPFacebookInstantConfig { return configEmpty{} }
func (configIAP) GetSamsung() runtime.IAPSamsungConfig                 { return configEmpty{} }

// configEmpty is every unconfigured section: empty strings, zero numbers.
type configEmpty struct{}

func (configEmpty) GetPublisherKey() string            { return "" }
func (configEmpty) GetAppID() int                      { return 0 }
func (configEmpty) GetAppSecret() string               { return "" }
func (configEmpty) GetAppId() string                   { return "" }
func (configEmpty) GetBundleId() string                { return "" }
func (configEmpty) GetSharedPassword() string          { return "" }
func (configEmpty) GetNotificationsEndpointId() string { return "" }
func (configEmpty) GetClientEmail() string             { return "" }
func (configEmpty) GetPrivateKey() string              { return "" }
func (configEmpty) GetPublicKey() string               { return "" }
func (configEmpty) GetClientID() string                { return "" }
func (configEmpty) GetClientSecret() string            { return "" }
func (configEmpty) GetPackageName() string             { return "" }
func (configEmpty) GetCredentialsJSON() string         { return "" }
func (configEmpty) GetUrl() string                     { return "" }
func (configEmpty) GetApiKeyName() string              { return "" }
func (configEmpty) GetApiKey() string                  { return "" }
func (configEmpty) GetSigningKey() string              { return "" }
