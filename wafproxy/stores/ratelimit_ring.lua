-- Bucket ring for one rate-based rule key (limits > EXACT_MAX); mirrors
-- wafproxy.engine.ratelimit.BucketRing: fixed memory, never more than the limit in any window.
-- KEYS[1] hash: bucket index -> allowed requests in that bucket
-- ARGV: now_ms (empty: Redis TIME), window_ms, limit, bucket width ms, buckets B
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
local width = tonumber(ARGV[4])
local buckets = tonumber(ARGV[5])
local current = math.floor(now / width)
local fields = redis.call('HGETALL', key)
local total = 0
local kept = {}
for i = 1, #fields, 2 do
  local index = tonumber(fields[i])
  if index < current - buckets then
    redis.call('HDEL', key, fields[i])
  else
    -- buckets ahead of `current` (clock skew) keep counting
    local count = tonumber(fields[i + 1])
    total = total + count
    kept[#kept + 1] = {index, count}
  end
end
if total < limit then
  redis.call('HINCRBY', key, string.format('%d', current), 1)
  redis.call('PEXPIRE', key, (buckets + 2) * width)
  return {0, now}
end
table.sort(kept, function(a, b) return a[1] < b[1] end)
for _, entry in ipairs(kept) do
  total = total - entry[2]
  if total < limit then
    return {math.max(1, (entry[1] + buckets + 1) * width - now), now}
  end
end
return {window, now}
