package io.github.sshcontainer.containerd;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import com.google.protobuf.ByteString;
import com.google.protobuf.FieldMask;
import io.github.sshcontainer.containerd.api.content.v1.ContentGrpc;
import io.github.sshcontainer.containerd.api.content.v1.DeleteContentRequest;
import io.github.sshcontainer.containerd.api.content.v1.Info;
import io.github.sshcontainer.containerd.api.content.v1.InfoRequest;
import io.github.sshcontainer.containerd.api.content.v1.ReadContentRequest;
import io.github.sshcontainer.containerd.api.content.v1.ReadContentResponse;
import io.github.sshcontainer.containerd.api.content.v1.UpdateRequest;
import io.github.sshcontainer.containerd.api.content.v1.WriteAction;
import io.github.sshcontainer.containerd.api.content.v1.WriteContentRequest;
import io.github.sshcontainer.containerd.api.content.v1.WriteContentResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;

/**
 * containerd's content store ({@code containerd.services.content.v1.Content}): blobs by digest. Writes stream the
 * blob in chunks over one {@code Write} call, one chunk in flight at a time, and containerd checks the digest.
 */
public final class ContentStore {
    /** Bytes per write message: well under gRPC's default 4 MiB message limit on containerd's side. */
    static final int CHUNK = 1 << 20;

    /** A blob's digest, size and labels. */
    public record BlobInfo(String digest, long size, Map<String, String> labels) {
        public BlobInfo {
            labels = Map.copyOf(labels);
        }
    }

    private final Calls calls;
    private final ContentGrpc.ContentBlockingStub stub;
    private final ContentGrpc.ContentStub async;

    ContentStore(Calls calls) {
        this.calls = calls;
        this.stub = ContentGrpc.newBlockingStub(calls.channel());
        this.async = ContentGrpc.newStub(calls.channel());
    }

    /** The blob {@code digest}, or empty when the store does not have it. */
    public Optional<BlobInfo> info(String digest) throws ContainerdException {
        try {
            Info i = calls.call("Content/Info " + digest, () -> calls.timed(stub)
                    .info(InfoRequest.newBuilder().setDigest(digest).build())).getInfo();
            return Optional.of(new BlobInfo(i.getDigest(), i.getSize(), i.getLabelsMap()));
        } catch (ContainerdException e) {
            if (e.code() == Status.Code.NOT_FOUND) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /** Sets (adds or replaces) the labels {@code labels} on the blob {@code digest}, leaving its other labels. */
    public void setLabels(String digest, Map<String, String> labels) throws ContainerdException {
        FieldMask.Builder mask = FieldMask.newBuilder();
        labels.keySet().forEach(k -> mask.addPaths("labels." + k));
        calls.call("Content/Update " + digest, () -> calls.timed(stub).update(UpdateRequest.newBuilder()
                .setInfo(Info.newBuilder().setDigest(digest).putAllLabels(labels)).setUpdateMask(mask).build()));
    }

    /** Deletes the blob {@code digest}. */
    public void delete(String digest) throws ContainerdException {
        calls.call("Content/Delete " + digest, () -> calls.timed(stub)
                .delete(DeleteContentRequest.newBuilder().setDigest(digest).build()));
    }

    /**
     * The whole blob {@code digest}, refusing one larger than {@code maxBytes} (manifests and configs are small).
     */
    public byte[] read(String digest, int maxBytes) throws ContainerdException {
        BlobInfo info = info(digest).orElseThrow(() -> new ContainerdException("no blob " + digest
                + " in containerd's content store", Status.Code.NOT_FOUND));
        if (info.size() > maxBytes) {
            throw new ContainerdException("blob " + digest + " has " + info.size() + " bytes, more than the "
                    + maxBytes + " allowed here", Status.Code.OUT_OF_RANGE);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream((int) info.size());
        calls.call("Content/Read " + digest, () -> {
            Iterator<ReadContentResponse> it = calls.timed(stub)
                    .read(ReadContentRequest.newBuilder().setDigest(digest).build());
            it.forEachRemaining(r -> out.writeBytes(r.getData().toByteArray()));
            return null;
        });
        return out.toByteArray();
    }

    /**
     * Writes {@code size} bytes from {@code data} as the blob {@code digest} with {@code labels} (set at commit),
     * under the write reference {@code ref}. A blob the store already has is not written again (its labels are set).
     *
     * @throws ContainerdException {@code FAILED_PRECONDITION} or {@code INVALID_ARGUMENT} when the bytes do not
     *         match {@code digest} or {@code size}
     */
    public void write(String ref, InputStream data, long size, String digest, Map<String, String> labels)
            throws IOException {
        if (info(digest).isPresent()) {
            if (!labels.isEmpty()) {
                setLabels(digest, labels);
            }
            return;
        }
        new Writer(ref).write(data, size, digest, labels);
    }

    /** One {@code Write} stream: a request, then wait for its answer, so that one chunk at a time is in flight. */
    private final class Writer implements StreamObserver<WriteContentResponse> {
        private final String ref;
        private final LinkedBlockingQueue<Object> answers = new LinkedBlockingQueue<>();

        Writer(String ref) {
            this.ref = ref;
        }

        void write(InputStream data, long size, String digest, Map<String, String> labels) throws IOException {
            StreamObserver<WriteContentRequest> requests = async
                    .withDeadlineAfter(Math.max(calls.deadline().toMillis(), 60_000L + size / 100), TimeUnit.MILLISECONDS)
                    .write(this);
            try {
                // STAT opens (or resumes) the ref: its offset says how much a previous attempt already wrote
                long offset = send(requests, WriteContentRequest.newBuilder().setAction(WriteAction.STAT).setRef(ref)
                        .setTotal(size).setExpected(digest)).getOffset();
                if (offset > 0 && data.skip(offset) != offset) {
                    throw new IOException("could not skip the " + offset + " bytes already written to " + ref);
                }
                byte[] buffer = new byte[CHUNK];
                while (offset < size) {
                    int n = data.readNBytes(buffer, 0, (int) Math.min(buffer.length, size - offset));
                    if (n == 0) {
                        throw new IOException("the data for " + digest + " ended after " + offset + " of " + size
                                + " bytes");
                    }
                    send(requests, WriteContentRequest.newBuilder().setAction(WriteAction.WRITE).setRef(ref)
                            .setOffset(offset).setData(ByteString.copyFrom(buffer, 0, n)));
                    offset += n;
                }
                send(requests, WriteContentRequest.newBuilder().setAction(WriteAction.COMMIT).setRef(ref)
                        .setOffset(offset).setTotal(size).setExpected(digest).putAllLabels(labels));
                requests.onCompleted();
            } catch (IOException | RuntimeException e) {
                requests.onError(Status.CANCELLED.withDescription("write abandoned").asRuntimeException());
                throw e;
            }
        }

        private WriteContentResponse send(StreamObserver<WriteContentRequest> requests,
                WriteContentRequest.Builder request) throws ContainerdException {
            requests.onNext(request.build());
            Object answer;
            try {
                answer = answers.poll(calls.deadline().toMillis() + 60_000L, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ContainerdException("interrupted while writing " + ref, Status.Code.CANCELLED);
            }
            if (answer instanceof WriteContentResponse r) {
                return r;
            }
            if (answer instanceof StatusRuntimeException e) {
                throw calls.failure("Content/Write " + ref, e);
            }
            throw new ContainerdException("containerd did not answer a write to " + ref, Status.Code.DEADLINE_EXCEEDED);
        }

        @Override
        public void onNext(WriteContentResponse value) {
            answers.add(value);
        }

        @Override
        public void onError(Throwable t) {
            answers.add(t instanceof StatusRuntimeException e ? e : Status.fromThrowable(t).asRuntimeException());
        }

        @Override
        public void onCompleted() {
            // the last answer (COMMIT's) came before
        }
    }

    /** The blob digests of the store matching {@code filters}. */
    public List<String> list(String... filters) throws ContainerdException {
        return calls.call("Content/List", () -> {
            var it = calls.timed(stub).list(io.github.sshcontainer.containerd.api.content.v1.ListContentRequest
                    .newBuilder().addAllFilters(List.of(filters)).build());
            List<String> digests = new java.util.ArrayList<>();
            it.forEachRemaining(r -> r.getInfoList().forEach(i -> digests.add(i.getDigest())));
            return List.copyOf(digests);
        });
    }
}
