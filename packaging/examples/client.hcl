# A production client agent, one on every machine that runs services. It joins the servers with
# retry_join, answers HTTP and DNS locally and forwards reads and writes to the servers.

datacenter = "dc1"
node_name  = "web-1"
data_dir   = "/var/lib/consulate"

server = false

bind_addr   = "10.0.1.21"
client_addr = "127.0.0.1"

retry_join     = ["10.0.0.11", "10.0.0.12", "10.0.0.13"]
retry_interval = "15s"

# encrypt = "<the same key as the servers>"

acl {
  enabled                  = true
  default_policy           = "deny"
  down_policy              = "extend-cache"
  enable_token_persistence = true
  tokens {
    # The agent token the servers' operator created for this node (consulate acl token create).
    # agent = "<token SecretID>"
  }
}

telemetry {
  prometheus_retention_time = "60s"
  disable_hostname          = true
}

service {
  name = "web"
  port = 8080
  tags = ["v1"]
  check {
    http     = "http://127.0.0.1:8080/health"
    interval = "10s"
    timeout  = "2s"
  }
}
