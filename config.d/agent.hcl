# An example agent configuration (HCL). Start with:
#   consulate agent -config-dir config.d -data-dir /tmp/consulate
# agent.json beside this file says the same in JSON (loading both is harmless: they agree).
datacenter = "dc1"
server     = true
bootstrap  = true
log_level  = "info"

ports {
  http = 8500
  dns  = 8600
}
