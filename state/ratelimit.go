package state

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// gcraScript is one GCRA step, atomic because Redis runs a script alone.
// The clock is Redis's own (TIME), so replicas with skewed clocks share
// one timeline. Times are in microseconds.
//
// KEYS[1] the bucket; ARGV: interval, burst, cost (0 asks without
// charging). Returns {allowed (0|1), retry after in microseconds}.
const gcraScript = `
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local c = cost
if c < 1 then c = 1 end
local nexttat = tat + c * interval
local over = nexttat - now - burst * interval
if over > 0 then
  return {0, over}
end
if cost > 0 then
  redis.call('SET', KEYS[1], string.format('%d', nexttat), 'PX', math.ceil((nexttat - now) / 1000) + 1)
end
return {1, 0}
`

var gcra = redis.NewScript(gcraScript)

// Take is a GCRA rate-limit step on the bucket key in one atomic script
// run (EVALSHA, with EVAL once when the script is not cached yet): one
// request per interval on average, up to burst at once; a cost of 0 asks
// whether one more would be allowed without charging it. The key is
// hashed under the store's prefix. Any failure is a
// *providers.UnavailableError.
func (r *Redis) Take(ctx context.Context, key string, interval time.Duration, burst, cost int) (bool, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	us := max(interval.Microseconds(), 1)
	res, err := gcra.Run(ctx, r.client, []string{r.key("ratelimit\x00" + key)}, us, burst, cost).Int64Slice()
	if err != nil {
		return false, 0, r.unavailable("rate limit", err)
	}
	if len(res) != 2 {
		return false, 0, r.unavailable("rate limit", fmt.Errorf("unexpected reply of %d values", len(res)))
	}
	return res[0] == 1, time.Duration(res[1]) * time.Microsecond, nil
}
