package io.github.sshcontainer.tunnel;

/**
 * A snapshot of a tunnel's counters.
 *
 * <pre>{@code
 * TunnelStats s = tunnel.stats();
 * log.info("{} open, {} bytes sent", s.openConnections(), s.bytesToRemote());
 * }</pre>
 *
 * @param openConnections connections open now (local socket, TCP and in-process)
 * @param totalConnections connections accepted since the tunnel opened, including failed ones
 * @param bytesToRemote bytes carried from local clients to the remote endpoint
 * @param bytesFromRemote bytes carried from the remote endpoint to local clients
 * @param reconnects how many times the SSH session was re-established after it was lost
 * @param failedOpens connections whose SSH channel could not be opened
 */
public record TunnelStats(long openConnections, long totalConnections, long bytesToRemote, long bytesFromRemote,
        long reconnects, long failedOpens) {
}
