package io.github.sshcontainer.testcontainers;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.DockerClientDelegate;
import com.github.dockerjava.api.command.InspectContainerCmd;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.command.RemoveContainerCmd;
import com.github.dockerjava.api.exception.NotFoundException;

/**
 * Testcontainers' docker-java client for the remote daemon, with two calls changed: a container's inspection forwards
 * its published ports and answers with the local ports ({@link PortForwards#rewrite}), and removing a container closes
 * its forwards. Every other call goes to the daemon unchanged.
 */
final class ForwardingDockerClient extends DockerClientDelegate {
    private final DockerClient delegate;
    private final PortForwards forwards;

    ForwardingDockerClient(DockerClient delegate, PortForwards forwards) {
        this.delegate = delegate;
        this.forwards = forwards;
    }

    @Override
    protected DockerClient getDockerClient() {
        return delegate;
    }

    @Override
    public InspectContainerCmd inspectContainerCmd(String containerId) {
        return new Inspect(delegate.inspectContainerCmd(containerId));
    }

    @Override
    public RemoveContainerCmd removeContainerCmd(String containerId) {
        return new Remove(delegate.removeContainerCmd(containerId));
    }

    /** {@code GET /containers/ID/json}, its port bindings replaced by local forwards. */
    private final class Inspect implements InspectContainerCmd {
        private final InspectContainerCmd cmd;

        Inspect(InspectContainerCmd cmd) {
            this.cmd = cmd;
        }

        @Override
        public String getContainerId() {
            return cmd.getContainerId();
        }

        @Override
        public InspectContainerCmd withContainerId(String containerId) {
            cmd.withContainerId(containerId);
            return this;
        }

        @Override
        public InspectContainerCmd withSize(Boolean showSize) {
            cmd.withSize(showSize);
            return this;
        }

        @Override
        public Boolean getSize() {
            return cmd.getSize();
        }

        @Override
        public InspectContainerResponse exec() throws NotFoundException {
            InspectContainerResponse response = cmd.exec();
            forwards.rewrite(response);
            return response;
        }

        @Override
        public void close() {
            cmd.close();
        }
    }

    /** {@code DELETE /containers/ID}; then (or when the container is already gone) its forwards are closed. */
    private final class Remove implements RemoveContainerCmd {
        private final RemoveContainerCmd cmd;

        Remove(RemoveContainerCmd cmd) {
            this.cmd = cmd;
        }

        @Override
        public String getContainerId() {
            return cmd.getContainerId();
        }

        @Override
        public Boolean hasRemoveVolumesEnabled() {
            return cmd.hasRemoveVolumesEnabled();
        }

        @Override
        public Boolean hasForceEnabled() {
            return cmd.hasForceEnabled();
        }

        @Override
        public RemoveContainerCmd withContainerId(String containerId) {
            cmd.withContainerId(containerId);
            return this;
        }

        @Override
        public RemoveContainerCmd withRemoveVolumes(Boolean removeVolumes) {
            cmd.withRemoveVolumes(removeVolumes);
            return this;
        }

        @Override
        public RemoveContainerCmd withForce(Boolean force) {
            cmd.withForce(force);
            return this;
        }

        @Override
        public Void exec() throws NotFoundException {
            try {
                cmd.exec();
            } catch (NotFoundException gone) {
                forwards.release(cmd.getContainerId());
                throw gone;
            }
            forwards.release(cmd.getContainerId());
            return null;
        }

        @Override
        public void close() {
            cmd.close();
        }
    }
}
