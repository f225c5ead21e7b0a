-- Which relay objects serve which shard, written when one connects: features that trust gateway-fed state
-- (voice occupancy) ask that relay whether it is connected and caught up.
CREATE TABLE gateway_relays (
  object_id TEXT PRIMARY KEY,
  shard_id INTEGER NOT NULL,
  shard_count INTEGER NOT NULL,
  connected_at INTEGER NOT NULL
);
