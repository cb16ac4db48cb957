package io.github.sshcontainer.containerd;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import io.github.sshcontainer.containerd.api.images.v1.CreateImageRequest;
import io.github.sshcontainer.containerd.api.images.v1.DeleteImageRequest;
import io.github.sshcontainer.containerd.api.images.v1.GetImageRequest;
import io.github.sshcontainer.containerd.api.images.v1.ImagesGrpc;
import io.github.sshcontainer.containerd.api.images.v1.ListImagesRequest;
import io.github.sshcontainer.containerd.api.images.v1.UpdateImageRequest;
import io.grpc.Status;

/**
 * containerd's image records ({@code containerd.services.images.v1.Images}) in the client's namespace: names pointing
 * at a manifest or index in the content store. Pulling and importing are {@link CriImages#pull} and
 * {@link ImageImporter}.
 */
public final class ContainerdImages {
    /** An image record: its name (e.g. {@code docker.io/library/busybox:latest}), labels and root descriptor. */
    public record Image(String name, Map<String, String> labels, Descriptor target) {
        public Image {
            Objects.requireNonNull(name, "name");
            labels = Map.copyOf(labels);
            Objects.requireNonNull(target, "target");
        }

        static Image of(io.github.sshcontainer.containerd.api.images.v1.Image i) {
            return new Image(i.getName(), i.getLabelsMap(), Descriptor.of(i.getTarget()));
        }
    }

    private final Calls calls;
    private final ImagesGrpc.ImagesBlockingStub stub;

    ContainerdImages(Calls calls) {
        this.calls = calls;
        this.stub = ImagesGrpc.newBlockingStub(calls.channel());
    }

    /** Every image of the namespace; {@code filters} are containerd's (e.g. {@code name==docker.io/library/x:1}). */
    public List<Image> list(String... filters) throws ContainerdException {
        var r = calls.call("Images/List", () -> calls.timed(stub)
                .list(ListImagesRequest.newBuilder().addAllFilters(List.of(filters)).build()));
        return r.getImagesList().stream().map(Image::of).toList();
    }

    /** The image {@code name}, or empty when the namespace has no such image. */
    public Optional<Image> find(String name) throws ContainerdException {
        try {
            return Optional.of(get(name));
        } catch (ContainerdException e) {
            if (e.code() == Status.Code.NOT_FOUND) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /**
     * The image {@code name}.
     *
     * @throws ContainerdException {@code NOT_FOUND} naming the image and namespace when there is none
     */
    public Image get(String name) throws ContainerdException {
        Objects.requireNonNull(name, "name");
        try {
            var r = calls.call("Images/Get", () -> calls.timed(stub)
                    .get(GetImageRequest.newBuilder().setName(name).build()));
            return Image.of(r.getImage());
        } catch (ContainerdException e) {
            if (e.code() == Status.Code.NOT_FOUND) {
                throw new ContainerdException("no image " + name + " in containerd namespace " + calls.namespace()
                        + ": pull it (CriImages.pull, namespace k8s.io) or import it (ImageImporter) first",
                        Status.Code.NOT_FOUND);
            }
            throw e;
        }
    }

    /** Creates the image record {@code name} pointing at {@code target} (which must be in the content store). */
    public Image create(String name, Descriptor target, Map<String, String> labels) throws ContainerdException {
        var image = io.github.sshcontainer.containerd.api.images.v1.Image.newBuilder().setName(name)
                .putAllLabels(labels).setTarget(target.toProto()).build();
        var r = calls.call("Images/Create", () -> calls.timed(stub)
                .create(CreateImageRequest.newBuilder().setImage(image).build()));
        return Image.of(r.getImage());
    }

    /** Creates the image record {@code name}, or points the existing one at {@code target} with {@code labels}. */
    public Image createOrReplace(String name, Descriptor target, Map<String, String> labels)
            throws ContainerdException {
        try {
            return create(name, target, labels);
        } catch (ContainerdException e) {
            if (e.code() != Status.Code.ALREADY_EXISTS) {
                throw e;
            }
        }
        var image = io.github.sshcontainer.containerd.api.images.v1.Image.newBuilder().setName(name)
                .putAllLabels(labels).setTarget(target.toProto()).build();
        var r = calls.call("Images/Update", () -> calls.timed(stub)
                .update(UpdateImageRequest.newBuilder().setImage(image).build()));
        return Image.of(r.getImage());
    }

    /**
     * Deletes the image record {@code name}; containerd's garbage collector then removes the content and snapshots
     * only it held ({@code sync}: wait for that).
     *
     * @throws ContainerdException {@code NOT_FOUND} when there is no such image
     */
    public void delete(String name, boolean sync) throws ContainerdException {
        calls.call("Images/Delete", () -> calls.timed(stub)
                .delete(DeleteImageRequest.newBuilder().setName(name).setSync(sync).build()));
    }
}
