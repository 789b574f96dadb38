#include "ijepa/distributed/port_reservation.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <utility>

#include "gtest/gtest.h"

namespace ijepa::distributed {
namespace {

// Binds a new socket to 127.0.0.1:`port` (with SO_REUSEADDR when `reuse`) and listens; returns
// whether both succeeded.
bool CanListenOn(int port, bool reuse) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  const int on = 1;
  if (reuse) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 && listen(fd, 1) == 0;
  close(fd);
  return ok;
}

TEST(PortReservationTest, HeldAgainstPlainBindsOpenToAReusingServerReleasedAtTheEnd) {
  absl::StatusOr<PortReservation> reserved = PortReservation::Create();
  ASSERT_TRUE(reserved.ok()) << reserved.status();
  const int port = reserved->port();
  ASSERT_GT(port, 0);
  EXPECT_FALSE(CanListenOn(port, /*reuse=*/false)) << "the port is not held";
  EXPECT_TRUE(CanListenOn(port, /*reuse=*/true)) << "a server with SO_REUSEADDR cannot use it";

  PortReservation moved = *std::move(reserved);  // the hold moves with the object
  EXPECT_EQ(moved.port(), port);
  EXPECT_FALSE(CanListenOn(port, /*reuse=*/false));
  { PortReservation gone = std::move(moved); }
  EXPECT_TRUE(CanListenOn(port, /*reuse=*/false)) << "the port was not released";
}

}  // namespace
}  // namespace ijepa::distributed
