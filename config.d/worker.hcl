# A worker that reports its own health: it must call
#   curl -X PUT localhost:8500/v1/agent/check/pass/service:worker
# at least every 30s, or the check turns critical (and the service is removed after 10m).
service {
  name = "worker"
  meta {
    queue = "emails"
  }
  check {
    ttl                               = "30s"
    deregister_critical_service_after = "10m"
  }
}
