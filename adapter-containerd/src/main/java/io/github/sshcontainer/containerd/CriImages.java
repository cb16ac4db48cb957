package io.github.sshcontainer.containerd;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import io.github.sshcontainer.containerd.api.cri.v1.AuthConfig;
import io.github.sshcontainer.containerd.api.cri.v1.ImageServiceGrpc;
import io.github.sshcontainer.containerd.api.cri.v1.ImageSpec;
import io.github.sshcontainer.containerd.api.cri.v1.ImageStatusRequest;
import io.github.sshcontainer.containerd.api.cri.v1.ListImagesRequest;
import io.github.sshcontainer.containerd.api.cri.v1.PullImageRequest;
import io.github.sshcontainer.containerd.api.cri.v1.RemoveImageRequest;

/**
 * Images through containerd's CRI plugin (Kubernetes' {@code runtime.v1.ImageService}): the daemon pulls from the
 * registry itself, with the registry configuration of its own config file (mirrors, plain-HTTP hosts, credentials).
 * The CRI plugin keeps its images in containerd namespace {@value #NAMESPACE}, whatever namespace the client uses;
 * use a client in that namespace to run them. Check {@link Introspection#criLoaded()} first: without the plugin
 * every call fails with {@code UNIMPLEMENTED}.
 */
public final class CriImages {
    /** The containerd namespace the CRI plugin stores its images (and containers) in. */
    public static final String NAMESPACE = "k8s.io";
    /** How long a pull may take unless told otherwise. */
    public static final Duration DEFAULT_PULL_TIMEOUT = Duration.ofMinutes(5);

    /** An image as CRI reports it: its id (the config digest), tags and repo digests, unpacked size. */
    public record Image(String id, List<String> repoTags, List<String> repoDigests, long size) {
        public Image {
            Objects.requireNonNull(id, "id");
            repoTags = List.copyOf(repoTags);
            repoDigests = List.copyOf(repoDigests);
        }

        static Image of(io.github.sshcontainer.containerd.api.cri.v1.Image i) {
            return new Image(i.getId(), i.getRepoTagsList(), i.getRepoDigestsList(), i.getSize());
        }
    }

    private final Calls calls;
    private final ImageServiceGrpc.ImageServiceBlockingStub stub;

    CriImages(Calls calls) {
        this.calls = calls;
        this.stub = ImageServiceGrpc.newBlockingStub(calls.channel());
    }

    /** Pulls {@code reference} (e.g. {@code 127.0.0.1:5000/busybox:latest}) anonymously; returns the image id. */
    public String pull(String reference) throws ContainerdException {
        return pull(reference, null, DEFAULT_PULL_TIMEOUT);
    }

    /**
     * Pulls {@code reference}, with {@code credentials} when not null, allowing {@code timeout}
     * for the whole pull and unpack; returns the image id (the config digest).
     */
    public String pull(String reference, Credentials credentials, Duration timeout) throws ContainerdException {
        Objects.requireNonNull(reference, "reference");
        PullImageRequest.Builder request = PullImageRequest.newBuilder().setImage(spec(reference));
        if (credentials != null) {
            request.setAuth(AuthConfig.newBuilder().setUsername(credentials.username())
                    .setPassword(credentials.password()).build());
        }
        return calls.call("CRI PullImage " + reference, () -> stub
                .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS).pullImage(request.build()))
                .getImageRef();
    }

    /** Registry credentials for a pull. */
    public record Credentials(String username, String password) {
        public Credentials {
            Objects.requireNonNull(username, "username");
            Objects.requireNonNull(password, "password");
        }

        @Override
        public String toString() {
            return "Credentials[" + username + ", password hidden]";
        }
    }

    /** Every image the CRI plugin knows. */
    public List<Image> list() throws ContainerdException {
        return calls.call("CRI ListImages", () -> calls.timed(stub).listImages(ListImagesRequest.getDefaultInstance()))
                .getImagesList().stream().map(Image::of).toList();
    }

    /** The image {@code reference} (a name or an id), or empty when CRI does not have it. */
    public Optional<Image> status(String reference) throws ContainerdException {
        var r = calls.call("CRI ImageStatus " + reference, () -> calls.timed(stub)
                .imageStatus(ImageStatusRequest.newBuilder().setImage(spec(reference)).build()));
        return r.hasImage() ? Optional.of(Image.of(r.getImage())) : Optional.empty();
    }

    /** Removes the image {@code reference} with all its names; no error when it is not there (CRI's rule). */
    public void remove(String reference) throws ContainerdException {
        calls.call("CRI RemoveImage " + reference, () -> calls.timed(stub)
                .removeImage(RemoveImageRequest.newBuilder().setImage(spec(reference)).build()));
    }

    private static ImageSpec spec(String reference) {
        return ImageSpec.newBuilder().setImage(reference).build();
    }
}
