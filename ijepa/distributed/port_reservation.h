// A TCP port held for a server that is about to start, without the race of "bind port 0, read the
// port, close the socket, hand the number on": between that close and the server's bind, any
// process could get the port.
#pragma once

#include "absl/status/statusor.h"

namespace ijepa::distributed {

// Holds a TCP port on this machine: a socket bound to it with SO_REUSEADDR that never listens.
// While it is held the kernel gives the port to no one else (no bind to port 0 and no outgoing
// connection gets it), yet a server that binds it with SO_REUSEADDR, as c10d's TCPStore does, can
// listen on it; clients that connect before that server listens are refused, as with no server.
// The destructor releases the port. The socket is close-on-exec.
class PortReservation {
 public:
  static absl::StatusOr<PortReservation> Create();
  PortReservation(PortReservation&& other) noexcept;
  PortReservation& operator=(PortReservation&& other) noexcept;
  PortReservation(const PortReservation&) = delete;
  PortReservation& operator=(const PortReservation&) = delete;
  ~PortReservation();

  int port() const { return port_; }

 private:
  PortReservation(int fd, int port) : fd_(fd), port_(port) {}
  int fd_ = -1;
  int port_ = 0;
};

}  // namespace ijepa::distributed
