-- Exact sliding log for one rate-based rule key (limits <= EXACT_MAX); mirrors
-- wafproxy.engine.ratelimit.ExactLog. Atomic: Redis runs a script without interleaving.
-- KEYS[1] sorted set of allowed request times (score = ms)
-- ARGV: now_ms (empty: Redis TIME), window_ms, limit, unique member for this request
-- Returns {0 when the request is let through else ms until one would be, now_ms used}.
local key = KEYS[1]
local now = tonumber(ARGV[1])
if now == nil then
  -- One clock for every client: Redis' own. Scripts then see time in the order they run, so
  -- a client delayed between reading its clock and running the script cannot be admitted
  -- against entries a later client has already purged.
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
-- An entry counts while its age is <= window ms; scores ahead of `now` (another host's clock)
-- keep counting, so clock skew never lets extra requests through.
redis.call('ZREMRANGEBYSCORE', key, '-inf', string.format('%d', now - window - 1))
local n = redis.call('ZCARD', key)
if n < limit then
  redis.call('ZADD', key, string.format('%d', now), ARGV[4])
  redis.call('PEXPIRE', key, window + 1000)
  return {0, now}
end
local oldest = tonumber(redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')[2])
return {math.max(1, window - (now - oldest) + 1), now}
