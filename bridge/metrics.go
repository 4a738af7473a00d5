package bridge

import (
	"errors"
	"net/http"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/regbridge/regbridge/providers"
)

// Provider label values for requests that reached no provider.
const (
	// LabelAnonymous is the provider label of requests without a credential.
	LabelAnonymous = "anonymous"
	// LabelNone is the provider label of requests refused before routing.
	LabelNone = "none"
)

// Upstream outcomes, the outcome label of the upstream latency histogram.
const (
	UpstreamOK          = "ok"
	UpstreamRejected    = "rejected"
	UpstreamUnavailable = "unavailable"
	UpstreamError       = "error"
)

// latencyBuckets cover a cached token (tens of microseconds) up to the 15 s
// the docker client waits for the token endpoint.
var latencyBuckets = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 15}

// Metrics exports Prometheus metrics of a Server on a private registry
// (never the global default one). It is an Observer; every label value comes
// from configuration or from a fixed set, never from request text, and the
// reason label is the PublicReason, which never tells an unknown name from
// a wrong password.
type Metrics struct {
	reg         *prometheus.Registry
	issued      *prometheus.CounterVec
	rejected    *prometheus.CounterVec
	requests    *prometheus.HistogramVec
	upstream    *prometheus.HistogramVec
	cacheHits   *prometheus.CounterVec
	cacheMisses *prometheus.CounterVec
	reused      *prometheus.CounterVec
	reloads     *prometheus.CounterVec
	series      issuedSeriesCache

	mu    sync.Mutex
	state func() *State
}

// NewMetrics returns metrics registered on a fresh private registry, with
// the Go runtime and process collectors.
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		issued: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "registry_token_issued_total", Help: "Registry tokens issued, by service and provider.",
		}, []string{"service", "provider"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "registry_token_rejected_total", Help: "Token requests refused, by service, provider and reason.",
		}, []string{"service", "provider", "reason"}),
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "regbridge_request_duration_seconds", Help: "Token request latency, by provider and outcome.",
			Buckets: latencyBuckets,
		}, []string{"provider", "outcome"}),
		upstream: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "regbridge_upstream_duration_seconds", Help: "Provider (upstream) call latency on credential cache misses, by provider and outcome.",
			Buckets: latencyBuckets,
		}, []string{"provider", "outcome"}),
		cacheHits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "regbridge_credential_cache_hits_total", Help: "Credential cache hits, by provider.",
		}, []string{"provider"}),
		cacheMisses: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "regbridge_credential_cache_misses_total", Help: "Credential cache misses, by provider.",
		}, []string{"provider"}),
		reused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "regbridge_token_reused_total", Help: "Tokens handed out again by token_reuse instead of signing, by service.",
		}, []string{"service"}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "regbridge_policy_reloads_total", Help: "Configuration and policy reloads, by result (ok or refused).",
		}, []string{"result"}),
	}
	m.reloads.WithLabelValues("ok")
	m.reloads.WithLabelValues("refused")
	m.reg.MustRegister(m.issued, m.rejected, m.requests, m.upstream, m.cacheHits, m.cacheMisses, m.reused, m.reloads,
		stateCollector{m}, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry returns the private registry, for extra collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus exposition formats.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Track makes the metrics read cache and key gauges from state (usually
// Server.State) at every scrape.
func (m *Metrics) Track(state func() *State) {
	m.mu.Lock()
	m.state = state
	m.mu.Unlock()
}

// Reloaded counts one reload attempt.
func (m *Metrics) Reloaded(ok bool) {
	if ok {
		m.reloads.WithLabelValues("ok").Inc()
	} else {
		m.reloads.WithLabelValues("refused").Inc()
	}
}

// Observe implements Observer.
func (m *Metrics) Observe(e Event) {
	prov := providerLabel(e)
	switch e.Outcome {
	case OutcomeIssued:
		s := m.series.get(m, issuedKey{service: e.Service, provider: prov, cache: cacheResult(e)})
		s.issued.Inc()
		if e.Reused {
			m.reused.WithLabelValues(e.Service).Inc()
		}
		s.latency.Observe(e.Latency.Seconds())
		if s.cache != nil {
			s.cache.Inc()
		}
	default:
		m.rejected.WithLabelValues(e.Service, prov, PublicReason(e.Reason)).Inc()
		m.requests.WithLabelValues(prov, string(e.Outcome)).Observe(e.Latency.Seconds())
		if c := m.cacheCounter(prov, cacheResult(e)); c != nil {
			c.Inc()
		}
	}
	if e.UpstreamOutcome != "" {
		m.upstream.WithLabelValues(prov, e.UpstreamOutcome).Observe(e.Upstream.Seconds())
	}
}

func providerLabel(e Event) string {
	switch {
	case e.Provider != "":
		return e.Provider
	case e.Anonymous:
		return LabelAnonymous
	}
	return LabelNone
}

// upstreamOutcome names the result of a provider call for the upstream
// latency histogram.
func upstreamOutcome(err error) string {
	switch {
	case err == nil:
		return UpstreamOK
	case errors.Is(err, providers.ErrUnavailable):
		return UpstreamUnavailable
	case errors.Is(err, providers.ErrInvalidCredential), errors.Is(err, providers.ErrBadRequest):
		return UpstreamRejected
	}
	return UpstreamError
}

var (
	descEvictions = prometheus.NewDesc("regbridge_credential_cache_evictions_total",
		"Credential cache entries evicted to make room (of the cache in use).", nil, nil)
	descExpiries = prometheus.NewDesc("regbridge_credential_cache_expired_total",
		"Credential cache entries dropped because they had expired (of the cache in use).", nil, nil)
	descEntries = prometheus.NewDesc("regbridge_credential_cache_entries",
		"Credential cache entries held.", nil, nil)
	descKey = prometheus.NewDesc("regbridge_signing_key_info",
		"The key in use: 1 for the signing key, 0 for keys only published in the JWKS.", []string{"kid", "alg"}, nil)
)

// stateCollector reads the active state at scrape time, so reloads and key
// rotation show without bookkeeping.
type stateCollector struct{ m *Metrics }

func (c stateCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descEvictions
	ch <- descExpiries
	ch <- descEntries
	ch <- descKey
}

func (c stateCollector) Collect(ch chan<- prometheus.Metric) {
	c.m.mu.Lock()
	state := c.m.state
	c.m.mu.Unlock()
	if state == nil {
		return
	}
	st := state()
	if st == nil {
		return
	}
	if st.cache != nil {
		ch <- prometheus.MustNewConstMetric(descEvictions, prometheus.CounterValue, float64(st.cache.Stats().Evictions))
		ch <- prometheus.MustNewConstMetric(descExpiries, prometheus.CounterValue, float64(st.cache.Stats().Expiries))
		ch <- prometheus.MustNewConstMetric(descEntries, prometheus.GaugeValue, float64(st.cache.Len()))
	}
	for i, k := range st.keys {
		v := 0.0
		if i == 0 {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(descKey, prometheus.GaugeValue, v, k.KeyID, string(k.Algorithm))
	}
}
