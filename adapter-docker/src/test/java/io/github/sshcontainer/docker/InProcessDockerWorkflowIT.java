package io.github.sshcontainer.docker;

import java.io.IOException;

import com.github.dockerjava.api.DockerClient;
import io.github.sshcontainer.tunnel.SshOptions;
import io.github.sshcontainer.tunnel.SshTarget;
import io.github.sshcontainer.tunnel.runtime.RuntimeConnection;

/** The same Docker workflow suite through the in-process transport: no socket file, no port. */
class InProcessDockerWorkflowIT extends DockerWorkflowSuite {
    @Override
    RuntimeConnection<DockerClient> connect(SshTarget target, SshOptions ssh) throws IOException {
        RuntimeConnection<DockerClient> c = DockerOverSsh.connectInProcess(target, ssh);
        if (c.tunnel().localSocket().isPresent() || c.tunnel().localTcpAddress().isPresent()) {
            c.close();
            throw new AssertionError("the in-process transport opened a local endpoint");
        }
        return c;
    }
}
