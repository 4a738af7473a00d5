package bridge

import "github.com/prometheus/client_golang/prometheus"

// RefreshMetrics counts refresh tokens by provider and outcome
// (`regbridge_refresh_tokens_total`).
type RefreshMetrics struct {
	total *prometheus.CounterVec
}

// NewRefreshMetrics registers the counter with reg.
func NewRefreshMetrics(reg prometheus.Registerer) (*RefreshMetrics, error) {
	m := &RefreshMetrics{total: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "regbridge_refresh_tokens_total",
		Help: "Refresh tokens issued, redeemed, refused and not offered, by provider.",
	}, []string{"provider", "outcome"})}
	if err := reg.Register(m.total); err != nil {
		return nil, err
	}
	return m, nil
}

// Observe implements Observer.
func (m *RefreshMetrics) Observe(e Event) {
	if e.Refresh == "" {
		return
	}
	m.total.WithLabelValues(providerLabel(e), string(e.Refresh)).Inc()
}
