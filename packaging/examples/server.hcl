# A production server agent (one of three). Copy to /etc/consulate.d/server.hcl on each server,
# change node_name and bind_addr, and start it with: consulate agent -config-dir=/etc/consulate.d
# (packaging/systemd/consulate.service does that).

datacenter = "dc1"
node_name  = "server-1"
data_dir   = "/var/lib/consulate"

server           = true
bootstrap_expect = 3

# The address other agents reach this one on; the HTTP API and DNS listen on client_addr.
bind_addr   = "10.0.0.11"
client_addr = "127.0.0.1 10.0.0.11"

# The servers find each other (and survive restarts) through retry_join.
retry_join     = ["10.0.0.11", "10.0.0.12", "10.0.0.13"]
retry_interval = "15s"

# Gossip encryption: generate one key with `consulate keygen` and use it on every agent.
# encrypt = "<output of consulate keygen>"

ui_config {
  enabled = true
}

log_level = "INFO"

performance {
  raft_multiplier = 1
}

autopilot {
  cleanup_dead_servers      = true
  server_stabilization_time = "10s"
}

acl {
  enabled                  = true
  default_policy           = "deny"
  down_policy              = "extend-cache"
  enable_token_persistence = true
}

telemetry {
  prometheus_retention_time = "60s"
  disable_hostname          = true
}
