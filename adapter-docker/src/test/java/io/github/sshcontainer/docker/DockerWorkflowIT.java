package io.github.sshcontainer.docker;

import java.io.IOException;

import com.github.dockerjava.api.DockerClient;
import io.github.sshcontainer.tunnel.SshOptions;
import io.github.sshcontainer.tunnel.SshTarget;
import io.github.sshcontainer.tunnel.runtime.RuntimeConnection;

/** The Docker workflow suite through the tunnel's private local unix socket (docker-java's zerodep transport). */
class DockerWorkflowIT extends DockerWorkflowSuite {
    @Override
    RuntimeConnection<DockerClient> connect(SshTarget target, SshOptions ssh) throws IOException {
        return DockerOverSsh.connect(target, ssh);
    }
}
