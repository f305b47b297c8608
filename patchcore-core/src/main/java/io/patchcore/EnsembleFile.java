package io.patchcore;

import com.google.common.io.ByteStreams;
import com.google.common.math.LongMath;
import com.google.common.primitives.Ints;
import io.patchcore.feature.FeatureExtractor;
import io.patchcore.internal.io.Container;
import io.patchcore.internal.io.ContainerReader;
import io.patchcore.internal.io.ContainerWriter;
import io.patchcore.internal.io.HeaderFields;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * Ensemble files, format version 1: a {@link Container} with the magic {@code PCENSMBL} whose
 * payload is the members, each a complete model file (see {@link ModelFile}), back to back.
 *
 * <p>Header fields ({@link Header}): {@code createdAt}; {@code calibration {fraction, seed,
 * trainingImages, heldOut}} (heldOut: the ascending indices of the calibration images);
 * {@code members}: one object per member, in order, {@code {bytes, median, scale, backbone {id,
 * configuration}}}. Every field is checked, and the member lengths against the file size, before a
 * member is read; every problem is a {@link ModelFormatException} naming the file.
 */
final class EnsembleFile {
  static final String MAGIC = "PCENSMBL";
  static final Container FORMAT = Container.of(MAGIC, 1, "ensemble", HeaderFields.Style.PLAIN)
      .recognising(ModelFile.MAGIC, "it is a single model file: use PatchCoreModel.load");

  private EnsembleFile() {}

  // ---------------------------------------------------------------- writing

  static void save(PatchCoreEnsemble ensemble, Path file) throws IOException {
    save(ensemble, file, Instant.now(), UnaryOperator.identity());
  }

  /**
   * Saves atomically through a temporary file next to {@code file}; {@code tap} wraps the stream
   * the file is written through (tests inject failures with it).
   */
  static void save(PatchCoreEnsemble ensemble, Path file, Instant createdAt, UnaryOperator<OutputStream> tap)
      throws IOException {
    Objects.requireNonNull(ensemble, "ensemble");
    Objects.requireNonNull(file, "file");
    List<ContainerWriter> members = new ArrayList<>();
    for (PatchCoreModel model : ensemble.members()) {
      members.add(ModelFile.writer(model, createdAt));
    }
    long payloadBytes = members.stream().mapToLong(ContainerWriter::length).sum();
    FORMAT.writer(Header.of(ensemble, members, createdAt), payloadBytes, out -> {
      for (ContainerWriter member : members) {
        member.writeTo(out);
      }
    }).save(file, tap);
  }

  // ---------------------------------------------------------------- reading

  static PatchCoreEnsemble load(Path file, List<FeatureExtractor> backbones) throws IOException {
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(backbones, "backbones");
    List<FeatureExtractor> given = new ArrayList<>(backbones.size());
    for (int i = 0; i < backbones.size(); i++) {
      given.add(Objects.requireNonNull(backbones.get(i), "backbone " + i));
    }
    try (ContainerReader r = FORMAT.open(file)) {
      Header header = header(r);
      List<Member> entries = header.members();
      checkBackbones(r, entries, given);
      InputStream payload = r.payload();
      List<PatchCoreModel> models = new ArrayList<>(entries.size());
      boolean done = false;
      try {
        for (int m = 0; m < entries.size(); m++) {
          String memberName = r.file() + " (member " + m + ")";
          long bytes = entries.get(m).bytes();
          try {
            models.add(ModelFile.read(ByteStreams.limit(payload, bytes), bytes, memberName, given.get(m),
                PatchCore.RunSettings.DEFAULT));
          } catch (ModelFormatException e) {
            String detail = e.getMessage().startsWith(memberName + ": ")
                ? e.getMessage().substring(memberName.length() + 2) : e.getMessage();
            throw new ModelFormatException(r.file(), "member " + m + ": " + detail, e);
          }
        }
        r.finish();
        CalibrationSplit split = header.calibration();
        PatchCoreEnsemble ensemble = new PatchCoreEnsemble(models, entries.stream().map(Member::calibration).toList(),
            split.heldOut(), split.trainingImages(), split.fraction(), split.seed());
        done = true;
        return ensemble;
      } finally {
        if (!done) {
          models.forEach(PatchCoreModel::close);
        }
      }
    }
  }

  static List<Map<String, String>> backboneConfigurations(Path file) throws IOException {
    Objects.requireNonNull(file, "file");
    try (ContainerReader r = FORMAT.open(file)) {
      return header(r).members().stream().map(m -> m.backbone().description()).toList();
    }
  }

  private static Header header(ContainerReader r) throws IOException {
    return r.header(root -> Header.parse(root, r.payloadBytes(), r.size()));
  }

  private static void checkBackbones(ContainerReader r, List<Member> entries, List<FeatureExtractor> given)
      throws ModelFormatException {
    if (given.size() != entries.size()) {
      throw r.bad("the ensemble has " + entries.size() + " members, but " + given.size() + " backbones were given");
    }
    for (int m = 0; m < entries.size(); m++) {
      String id;
      try {
        id = given.get(m).id();
      } catch (RuntimeException e) {
        throw new ModelFormatException(r.file(), "cannot query backbone " + m + ": " + e.getMessage(), e);
      }
      if (!entries.get(m).backbone().id().equals(id)) {
        throw r.bad("member " + m + " was fitted with backbone '" + entries.get(m).backbone().id()
            + "', but the given backbone " + m + " is '" + id + "'");
      }
    }
  }

  // ---------------------------------------------------------------- the header

  /**
   * The header as written and as read back (every field checked); the JSON field names and their
   * order are the components'.
   */
  record Header(String createdAt, CalibrationSplit calibration, List<Member> members) {
    static Header of(PatchCoreEnsemble ensemble, List<ContainerWriter> members, Instant createdAt) {
      List<Member> entries = new ArrayList<>(members.size());
      for (int m = 0; m < members.size(); m++) {
        PatchCoreEnsemble.Calibration c = ensemble.calibrations().get(m);
        entries.add(new Member(members.get(m).length(), c.median(), c.scale(),
            ModelFile.BackboneHeader.of(ensemble.members().get(m).configuration().backbone, false)));
      }
      return new Header(createdAt.toString(), new CalibrationSplit(ensemble.calibrationFraction(), ensemble.seed(),
          ensemble.trainingImages(), ensemble.calibrationImages()), entries);
    }

    /** Checks every field, and that the member lengths add up to the {@code payloadBytes} the file has. */
    static Header parse(HeaderFields root, long payloadBytes, long size) throws ModelFormatException {
      String createdAt = root.instant("createdAt").toString();
      CalibrationSplit split = CalibrationSplit.parse(root.object("calibration"));
      List<Member> members = new ArrayList<>();
      for (HeaderFields e : root.objects("members", 1, PatchCoreEnsemble.MAX_MEMBERS)) {
        members.add(Member.parse(e));
      }
      long sum = members.stream().mapToLong(Member::bytes).reduce(0, LongMath::saturatedAdd);
      if (sum != payloadBytes) {
        long expected = LongMath.saturatedAdd(size - payloadBytes, sum);
        throw root.bad("the header's member lengths give a file of " + expected + " bytes, but it has " + size
            + (expected > size ? " (truncated)" : ""));
      }
      return new Header(createdAt, split, List.copyOf(members));
    }
  }

  /** Header field {@code calibration}: how the training images were split. */
  record CalibrationSplit(double fraction, long seed, int trainingImages, List<Integer> heldOut) {
    static CalibrationSplit parse(HeaderFields cal) throws ModelFormatException {
      double fraction = cal.finiteNumber("fraction");
      if (!(fraction > 0 && fraction < 1)) {
        throw cal.invalid("fraction", "must be in (0, 1), got " + fraction);
      }
      long seed = cal.longInteger("seed", Long.MIN_VALUE, Long.MAX_VALUE);
      int n = cal.integer("trainingImages", 2, Integer.MAX_VALUE);
      int[] held = cal.integers("heldOut", 0, n - 1);
      int expected = PatchCoreEnsemble.heldOutCount(n, fraction);
      if (held.length != expected || expected >= n) {
        throw cal.invalid("heldOut", "has " + held.length + " entries, but a fraction of " + fraction + " of " + n
            + " training images holds out " + expected);
      }
      for (int i = 1; i < held.length; i++) {
        if (held[i] <= held[i - 1]) {
          throw cal.invalid("heldOut[" + i + "]", "must be greater than the index before it, " + held[i - 1]
              + ", got " + held[i]);
        }
      }
      return new CalibrationSplit(fraction, seed, n, List.copyOf(Ints.asList(held)));
    }
  }

  /** One entry of header field {@code members}. */
  record Member(long bytes, double median, double scale, ModelFile.BackboneHeader backbone) {
    PatchCoreEnsemble.Calibration calibration() {
      return new PatchCoreEnsemble.Calibration(median, scale);
    }

    static Member parse(HeaderFields e) throws ModelFormatException {
      long bytes = e.longInteger("bytes", Container.MIN_FILE_BYTES, Long.MAX_VALUE);
      double median = e.finiteNumber("median");
      double scale = e.finiteNumber("scale");
      try {
        new PatchCoreEnsemble.Calibration(median, scale);
      } catch (IllegalArgumentException ex) {
        throw new ModelFormatException(e.file(), e.path() + ": " + ex.getMessage(), ex);
      }
      return new Member(bytes, median, scale, ModelFile.BackboneHeader.read(e.object("backbone"), false));
    }
  }
}
