package bridge

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// Credential cache results, part of an issuedKey.
const (
	cacheNotUsed = iota
	cacheHit
	cacheMiss
)

// issuedKey names the series one issued token touches: its service and
// provider label, and which credential cache counter it counts in.
type issuedKey struct {
	service, provider string
	cache             int8
}

// issuedSeries are the series of one issuedKey, looked up once: finding a
// series by its label values hashes and checks every value on each call,
// about a microsecond per token for the three an issued token touches.
type issuedSeries struct {
	issued  prometheus.Counter
	latency prometheus.Observer
	cache   prometheus.Counter // nil for cacheNotUsed
}

// issuedSeriesCache holds the issuedSeries by key. Keys come from
// configuration (services and providers) and a fixed set, so it is as
// bounded as the series themselves.
type issuedSeriesCache struct {
	m sync.Map // issuedKey → *issuedSeries
}

// get returns the series of k, creating them on first use.
func (c *issuedSeriesCache) get(m *Metrics, k issuedKey) *issuedSeries {
	if s, ok := c.m.Load(k); ok {
		return s.(*issuedSeries)
	}
	s := &issuedSeries{
		issued:  m.issued.WithLabelValues(k.service, k.provider),
		latency: m.requests.WithLabelValues(k.provider, string(OutcomeIssued)),
	}
	s.cache = m.cacheCounter(k.provider, k.cache)
	v, _ := c.m.LoadOrStore(k, s)
	return v.(*issuedSeries)
}

// cacheCounter is the credential cache counter of provider that result
// counts in; nil for cacheNotUsed.
func (m *Metrics) cacheCounter(provider string, result int8) prometheus.Counter {
	switch result {
	case cacheHit:
		return m.cacheHits.WithLabelValues(provider)
	case cacheMiss:
		return m.cacheMisses.WithLabelValues(provider)
	}
	return nil
}

// cacheResult is the credential cache counter e counts in.
func cacheResult(e Event) int8 {
	switch {
	case e.Provider == "" || e.CredentialHash == "":
		return cacheNotUsed
	case e.CacheHit:
		return cacheHit
	}
	return cacheMiss
}
