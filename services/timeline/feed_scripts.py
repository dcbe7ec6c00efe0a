"""The Lua scripts behind FeedStore (services/timeline/feed_store.py).

Each keeps one step atomic on one Redis node; on a Redis Cluster every script's keys share a
hash tag (one user's keys, `{uid}`), except `PUSH_RANGE`, which the fan-out uses only on a
single node.
"""

from __future__ import annotations

# Add one member to a feed that exists and trim it to its cap, raising its floor past what
# was cut (rank 0 is the sentinel). Used as a function by the push scripts below.
PUSH_ONE = """
local function trim_feed(feed, floor_key, cap, n)
  if n > cap + 1 then
    local cut = redis.call('ZRANGE', feed, 1, n - cap - 1, 'WITHSCORES')
    redis.call('ZREMRANGEBYRANK', feed, 1, n - cap - 1)
    local top = cut[#cut]
    if tonumber(top) > tonumber(redis.call('GET', floor_key) or '0') then
      redis.call('SET', floor_key, top, 'KEEPTTL')
    end
  end
end
local function push_one(feed, floor_key, cap, score, member)
  redis.call('ZADD', feed, score, member)
  trim_feed(feed, floor_key, cap, redis.call('ZCARD', feed))
end
"""

# Push one post into many feeds: KEYS are (feed, floor, active, live) quadruples; ARGV = cap,
# score, member. A feed receives the post only if its owner is active and the feed exists.
# Returns a flag per quadruple: 0 skipped, 1 pushed, 2 pushed and the owner is live.
PUSH = (
    PUSH_ONE
    + """
local cap = tonumber(ARGV[1])
local result = {}
for i = 1, #KEYS, 4 do
  local feed, floor_key, active = KEYS[i], KEYS[i + 1], KEYS[i + 2]
  if redis.call('EXISTS', active) == 1 and redis.call('EXISTS', feed) == 1 then
    push_one(feed, floor_key, cap, ARGV[2], ARGV[3])
    result[#result + 1] = 1 + redis.call('EXISTS', KEYS[i + 3])
  else
    result[#result + 1] = 0
  end
end
return result
"""
)

# Which of many keys exist, in few calls: a multi-key EXISTS answers how many of a run exist,
# and a run where none or all do is settled by that one call; a mixed run is split in two.
# A call costs about as much as the lookups of a few dozen keys, so a fan-out where nearly
# every follower is active and has a feed pays one call per chunk for each question, not one
# per follower (bench/fanout_workers.py). `unpack` is bounded by Lua's C stack.
EXISTING = """
local function count_existing(keys, lo, hi)
  local n = 0
  local i = lo
  while i <= hi do
    local j = math.min(i + 3999, hi)
    n = n + redis.call('EXISTS', unpack(keys, i, j))
    i = j + 1
  end
  return n
end
local function mark_existing(keys, lo, hi, count, flags)
  if count == 0 then return end
  if count == hi - lo + 1 then
    for i = lo, hi do flags[i] = true end
  elseif hi - lo < 8 then
    for i = lo, hi do
      if redis.call('EXISTS', keys[i]) == 1 then flags[i] = true end
    end
  else
    local mid = math.floor((lo + hi) / 2)
    local left = count_existing(keys, lo, mid)
    mark_existing(keys, lo, mid, left, flags)
    mark_existing(keys, mid + 1, hi, count - left, flags)
  end
end
local function existing(keys)
  local flags = {}
  if #keys > 0 then mark_existing(keys, 1, #keys, count_existing(keys, 1, #keys), flags) end
  return flags
end
"""

# Push one post into the feeds of the followers in one id range of an author's follower index
# (services/timeline/follower_index.py), reading the ids in Redis, so no id crosses the wire.
# Keys are built here from the prefixes in ARGV (single node only: they span slots).
# KEYS = (index, live users). ARGV = low id, high id (inclusive, or +inf), count, cap, score,
# member, the prefixes of the feed and floor keys, and the trim turn (0 to 7).
# The index holds the active followers (the lapse sweep takes the others out, lapses.py), so
# every follower whose feed exists gets the post; those without one leave the index (they come
# back when their feed is rebuilt). Returns {ids read, last id read, removed, live follower ids...}.
#
# Redis's time here goes to the ZADDs (a cold key each) and to looking up keys nobody touched
# lately, so a follower costs one lookup and one call: whether feeds exist is asked of the whole
# chunk at once (EXISTING), live followers are looked up in one small sorted set kept by presence
# (services/timeline/presence.py), and the cap is checked on one push in eight per feed (by the
# follower id's last digit and the post's trim turn), so a feed at its cap holds a few more
# entries until its turn comes; the floor keeps reads exact whatever the length.
PUSH_RANGE = (
    PUSH_ONE
    + EXISTING
    + """
local call = redis.call
local ids = call('ZRANGE', KEYS[1], ARGV[1], ARGV[2], 'BYSCORE', 'LIMIT', 0, ARGV[3])
local n = #ids
local cap = tonumber(ARGV[4])
local score, member = ARGV[5], ARGV[6]
local feed_prefix, floor_prefix = ARGV[7], ARGV[8]
local turn = tonumber(ARGV[9])
local result = {n, ids[n] or '0', 0}
local feeds = {}
for i = 1, n do
  feeds[i] = feed_prefix .. '{' .. ids[i] .. '}'
end
local has_feed = existing(feeds)
local gone, pushed = {}, {}
local n_gone, n_pushed = 0, 0
for i = 1, n do
  local id = ids[i]
  if has_feed[i] then
    call('ZADD', feeds[i], score, member)
    if (string.byte(id, -1) + turn) % 8 == 0 then
      trim_feed(feeds[i], floor_prefix .. '{' .. id .. '}', cap, call('ZCARD', feeds[i]))
    end
    n_pushed = n_pushed + 1
    pushed[n_pushed] = id
  else
    n_gone = n_gone + 1
    gone[n_gone] = id
  end
end
local now = tonumber(call('TIME')[1])
local found = 3
for first = 1, n_pushed, 1000 do
  local last = math.min(first + 999, n_pushed)
  local until_s = call('ZMSCORE', KEYS[2], unpack(pushed, first, last))
  for k = 1, last - first + 1 do
    if until_s[k] and tonumber(until_s[k]) > now then
      found = found + 1
      result[found] = pushed[first + k - 1]
    end
  end
end
for first = 1, n_gone, 500 do
  call('ZREM', KEYS[1], unpack(gone, first, math.min(first + 499, n_gone)))
end
result[3] = n_gone
return result
"""
)

# Add scored members to one capped set that exists, keeping its floor. KEYS = (set, floor);
# ARGV from `base` = cap, then score, member pairs. Rank 0 is the sentinel.
ADD_CAPPED_FROM = """
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local cap = tonumber(ARGV[base])
for i = base + 1, #ARGV, 2 do redis.call('ZADD', KEYS[1], ARGV[i], ARGV[i + 1]) end
local n = redis.call('ZCARD', KEYS[1])
if n > cap + 1 then
  local cut = redis.call('ZRANGE', KEYS[1], 1, n - cap - 1, 'WITHSCORES')
  redis.call('ZREMRANGEBYRANK', KEYS[1], 1, n - cap - 1)
  local top = cut[#cut]
  if tonumber(top) > tonumber(redis.call('GET', KEYS[2]) or '0') then
    redis.call('SET', KEYS[2], top, 'KEEPTTL')
  end
end
return n
"""
ADD_CAPPED = "local base = 1\n" + ADD_CAPPED_FROM

# Make a capped set exist, empty but for its sentinel, with its floor at "building", and
# optionally mark its owner active. KEYS = (set, floor[, active]); ARGV = sentinel, ttl,
# building floor[, active ttl]. Returns the floor the set had ('0' when it did not exist).
BEGIN = """
local previous = '0'
if redis.call('EXISTS', KEYS[1]) == 1 then previous = redis.call('GET', KEYS[2]) or '0' end
redis.call('ZADD', KEYS[1], 0, ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
redis.call('SET', KEYS[2], ARGV[3], 'EX', ARGV[2])
if KEYS[3] then redis.call('SET', KEYS[3], 1, 'EX', ARGV[4]) end
return previous
"""

# Finish a build, atomically: set the floor first, so that trimming past the cap can only
# raise it, then add as _ADD_CAPPED does. KEYS = (set, floor); ARGV = floor, cap, then pairs.
# A set that expired mid-build is left alone: setting its floor would leave a key with no TTL.
FINISH = (
    "if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end\n"
    "redis.call('SET', KEYS[2], ARGV[1], 'KEEPTTL')\nlocal base = 2\n" + ADD_CAPPED_FROM
)

# Raise a feed's floor (never lower it). KEYS = (feed, floor); ARGV = floor. The floor takes
# the feed's TTL, since a floor outliving its feed would vouch for a rebuilt one.
RAISE_FLOOR_PART = """
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 and tonumber(ARGV[1]) > tonumber(redis.call('GET', KEYS[2]) or '0') then
  redis.call('SET', KEYS[2], ARGV[1], 'PX', ttl)
end
"""
RAISE_FLOOR = RAISE_FLOOR_PART + "return 0\n"

# Merge entries into a feed that exists and raise its floor, atomically: KEYS = (feed, floor);
# ARGV = floor, cap, then pairs. Used when the entries are a partial window of an author's
# posts, whose older ones the feed can then no longer vouch for.
MERGE = (
    "if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end\n"
    + RAISE_FLOOR_PART
    + "local base = 2\n"
    + ADD_CAPPED_FROM
)

# Remove the members of one author from a feed. KEYS = (feed); ARGV = author id.
REMOVE_AUTHOR = """
local suffix = ':' .. ARGV[1]
local removed = 0
for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 1, -1)) do
  if string.sub(member, -string.len(suffix)) == suffix then
    redis.call('ZREM', KEYS[1], member)
    removed = removed + 1
  end
end
return removed
"""
