// Metrics: process-wide counters and a latency histogram, rendered in the
// Prometheus text format for GET /metrics.
//
// Thread-safety: every method may be called from any thread (atomics).
#ifndef SAMPLAN_SERVER_METRICS_H_
#define SAMPLAN_SERVER_METRICS_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

namespace samplan {

class Metrics {
 public:
  Metrics();

  std::atomic<int64_t> connections{0};        // open WebSocket sessions
  std::atomic<uint64_t> connections_total{0};
  std::atomic<uint64_t> http_requests_total{0};
  std::atomic<int64_t> open_plans{0};
  std::atomic<uint64_t> ops_accepted_total{0};
  std::atomic<uint64_t> ops_rejected_total{0};
  std::atomic<uint64_t> messages_in_total{0};
  std::atomic<uint64_t> errors_sent_total{0};
  std::atomic<uint64_t> slow_clients_disconnected_total{0};
  std::atomic<uint64_t> oversized_messages_total{0};
  std::atomic<uint64_t> rate_limited_total{0};
  std::atomic<uint64_t> append_failures_total{0};

  // Time from receiving a batch to its broadcast being queued to every
  // other session of the plan.
  void ObserveBroadcastLatency(double seconds);
  // Accepted ops per second over the last completed second.
  void CountAcceptedOps(uint64_t n);

  std::string RenderPrometheus() const;

 private:
  static constexpr std::array<double, 12> kBuckets = {
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
      0.01,   0.025,   0.05,   0.1,   0.25,   1.0};
  std::array<std::atomic<uint64_t>, kBuckets.size() + 1> bucket_counts_;
  std::atomic<uint64_t> latency_count_{0};
  std::atomic<uint64_t> latency_sum_us_{0};
  std::atomic<int64_t> rate_second_{0};
  std::atomic<uint64_t> rate_current_{0};
  std::atomic<uint64_t> rate_last_{0};
};

}  // namespace samplan

#endif  // SAMPLAN_SERVER_METRICS_H_
