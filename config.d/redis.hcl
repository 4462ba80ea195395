# A Redis instance, healthy while its port accepts TCP connections.
service {
  name = "redis"
  port = 6379
  tags = ["primary"]
  weights {
    passing = 10
    warning = 1
  }
  check {
    tcp      = "127.0.0.1:6379"
    interval = "10s"
    timeout  = "1s"
  }
}
