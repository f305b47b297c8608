package io.patchcore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.patchcore.feature.FeatureExtractor;
import io.patchcore.feature.FeatureMap;
import io.patchcore.feature.FeatureMaps;
import io.patchcore.sampling.Sampler;
import io.patchcore.sampling.Samplers;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Model files: round trip, atomic save, every rejection, a corruption fuzz and the v1 fixture. */
class ModelFileTest {
  static final Instant CREATED = Instant.parse("2025-01-01T00:00:00Z");
  static final String FIXTURE = "/models/v1-fixture.patchcore";

  @TempDir
  Path dir;

  /** A backbone that turns an image into two seeded random layers: a (4x6x6) and b (6x3x3). */
  static final class FakeBackbone implements FeatureExtractor {
    private final String id;

    FakeBackbone(String id) {
      this.id = id;
    }

    @Override
    public String id() {
      return id;
    }

    @Override
    public List<String> layerNames() {
      return List.of("a", "b");
    }

    @Override
    public FeatureMaps extract(BufferedImage image) {
      return maps(image.getRGB(0, 0) & 0xffffff);
    }

    @Override
    public Map<String, String> configuration() {
      return Map.of("kind", "fake", "resize", "256");
    }

    @Override
    public void close() {}

    static FeatureMaps maps(long seed) {
      SplittableRandom r = new SplittableRandom(seed);
      return new FeatureMaps(12, 12,
          List.of(new FeatureMap("a", 4, 6, 6, gaussian(r, 4 * 6 * 6)), new FeatureMap("b", 6, 3, 3, gaussian(r, 6 * 3 * 3))));
    }
  }

  static float[] gaussian(SplittableRandom r, int n) {
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      // sum of uniforms: roughly normal, reproducible without nextGaussian's algorithm
      out[i] = (float) (r.nextDouble() + r.nextDouble() + r.nextDouble() - 1.5);
    }
    return out;
  }

  static BufferedImage image(int seed) {
    BufferedImage im = new BufferedImage(12, 12, BufferedImage.TYPE_INT_RGB);
    im.setRGB(0, 0, seed);
    return im;
  }

  /** The richer configuration: two layers, approx-greedy, k=2, re-weighted scores. */
  static PatchCore.Builder rich() {
    return PatchCore.builder().layers("a", "b").patchSize(3).pretrainDimension(8).targetDimension(6)
        .sampler(Samplers.approximateGreedy(0.5, 4, 3)).neighbours(2).imageScoring(ImageScoring.REWEIGHTED)
        .reweightingNeighbours(3).anomalyMapSigma(1.5).seed(7);
  }

  /** 50 x 8 bank: one 8-channel 5x5 layer, patch size 1, identity sampler, two images. */
  static PatchCoreModel tiny() {
    List<FeatureMaps> train = new ArrayList<>();
    SplittableRandom r = new SplittableRandom(3);
    for (int i = 0; i < 2; i++) {
      train.add(new FeatureMaps(5, 5, List.of(new FeatureMap("f", 8, 5, 5, gaussian(r, 8 * 25)))));
    }
    return PatchCore.builder().patchSize(1).pretrainDimension(8).targetDimension(8).sampler(Samplers.identity())
        .seed(1).build().fitFeatures(train);
  }

  /** {@link #tiny()} without its training provenance: a model that is written as version 1. */
  static PatchCoreModel tinyV1() {
    PatchCoreModel m = tiny();
    return new PatchCoreModel(m.configuration(), m.embedder(), m.bank(), m.bankSize(), m.candidateSize());
  }

  static byte[] bytesOf(PatchCoreModel model) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ModelFile.write(model, out, CREATED);
    return out.toByteArray();
  }

  static int headerLength(byte[] file) {
    return ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getInt(12);
  }

  static String headerText(byte[] file) {
    return new String(file, 16, headerLength(file), StandardCharsets.UTF_8);
  }

  /** The file with another header (length field updated) and, if asked, a valid checksum. */
  static byte[] withHeader(byte[] file, String header, boolean fixChecksum) {
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    int oldLength = headerLength(file);
    int bankBytes = file.length - 16 - oldLength - 4;
    ByteBuffer b = ByteBuffer.allocate(16 + h.length + bankBytes + 4).order(ByteOrder.LITTLE_ENDIAN);
    b.put(file, 0, 12).putInt(h.length).put(h).put(file, 16 + oldLength, bankBytes + 4);
    byte[] out = b.array();
    return fixChecksum ? withChecksum(out) : out;
  }

  static byte[] withChecksum(byte[] file) {
    CRC32C crc = new CRC32C();
    crc.update(file, 0, file.length - 4);
    ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).putInt(file.length - 4, (int) crc.getValue());
    return file;
  }

  static String setField(String header, String field, String value) {
    Matcher m = Pattern.compile("\"" + field + "\"\\s*:\\s*[^,\\n}]+").matcher(header);
    assertThat(m.find()).as("field %s in header", field).isTrue();
    return header.substring(0, m.start()) + "\"" + field + "\" : " + value + header.substring(m.end());
  }

  static void assertSameScores(PatchCoreModel a, PatchCoreModel b, FeatureMaps maps) {
    AnomalyResult ra = a.scoreFeatures(maps);
    AnomalyResult rb = b.scoreFeatures(maps);
    assertThat(rb.score()).isEqualTo(ra.score());
    assertThat(rb.map().toArray()).containsExactly(ra.map().toArray());
    assertThat(rb.patchScores().toArray()).containsExactly(ra.patchScores().toArray());
  }

  static void assertSameConfiguration(PatchCore a, PatchCore b) {
    assertThat(b.toString()).isEqualTo(a.toString());
    assertThat(b.layers()).isEqualTo(a.layers());
    assertThat(b.patchSize()).isEqualTo(a.patchSize());
    assertThat(b.patchStride()).isEqualTo(a.patchStride());
    assertThat(b.pretrainDimension()).isEqualTo(a.pretrainDimension());
    assertThat(b.targetDimension()).isEqualTo(a.targetDimension());
    assertThat(b.sampler().description()).isEqualTo(a.sampler().description());
    assertThat(b.neighbours()).isEqualTo(a.neighbours());
    assertThat(b.imageScoring()).isEqualTo(a.imageScoring());
    assertThat(b.reweightingNeighbours()).isEqualTo(a.reweightingNeighbours());
    assertThat(b.anomalyMapSigma()).isEqualTo(a.anomalyMapSigma());
    assertThat(b.seed()).isEqualTo(a.seed());
  }

  // ------------------------------------------------------------------ round trip

  @Test
  void backboneConfiguration_readFromHeaderOnly() throws IOException {
    Path file = dir.resolve("conf.patchcore");
    try (PatchCoreModel model = rich().backbone(new FakeBackbone("fake:1")).build()
        .fit(List.of(image(1), image(2)))) {
      model.save(file);
    }
    assertThat(PatchCoreModel.backboneConfiguration(file))
        .containsExactlyInAnyOrderEntriesOf(Map.of("id", "fake:1", "kind", "fake", "resize", "256"));
    Path noBackbone = dir.resolve("features.patchcore");
    try (PatchCoreModel model = PatchCore.builder().patchSize(1).pretrainDimension(4).targetDimension(4)
        .sampler(Samplers.identity()).build().fitFeatures(List.of(FakeBackbone.maps(3)))) {
      model.save(noBackbone);
    }
    assertThat(PatchCoreModel.backboneConfiguration(noBackbone)).isEmpty();
    Path junk = Files.write(dir.resolve("junk.patchcore"), new byte[] {1, 2, 3});
    assertThatThrownBy(() -> PatchCoreModel.backboneConfiguration(junk)).isInstanceOf(ModelFormatException.class)
        .hasMessageContaining("junk.patchcore");
  }

  @Test
  void roundTrip_withBackbone_sameConfigurationBankAndScores() throws IOException {
    FakeBackbone backbone = new FakeBackbone("fake sha256=0123abcd");
    List<BufferedImage> train = List.of(image(1), image(2));
    try (PatchCoreModel model = rich().backbone(backbone).build().fit(train)) {
      Path file = dir.resolve("m.patchcore");
      model.save(file);
      try (PatchCoreModel loaded = PatchCoreModel.load(file, backbone)) {
        assertSameConfiguration(model.configuration(), loaded.configuration());
        assertThat(loaded.layers()).isEqualTo(List.of("a", "b"));
        assertThat(loaded.bankSize()).isEqualTo(36);
        assertThat(loaded.candidateSize()).isEqualTo(72);
        assertThat(loaded.dimension()).isEqualTo(6);
        assertThat(loaded.memoryBank()).containsExactly(model.memoryBank());
        for (int i = 3; i < 6; i++) {
          assertThat(loaded.score(image(i)).score()).isEqualTo(model.score(image(i)).score());
          assertSameScores(model, loaded, FakeBackbone.maps(i));
        }
      }
      try (PatchCoreModel featuresOnly = PatchCoreModel.load(file, null)) {
        assertSameScores(model, featuresOnly, FakeBackbone.maps(9));
        assertThatThrownBy(() -> featuresOnly.score(image(9))).isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("no backbone");
      }
      String header = headerText(Files.readAllBytes(file));
      assertThat(header).contains("\"id\" : \"fake sha256=0123abcd\"", "\"createdAt\"", "\"version\" : \"",
          "\"candidatePatches\" : 72", "\"kind\" : \"approx-greedy\"", "\"projection\" : 4", "\"starts\" : 3");
    }
  }

  static Stream<Sampler> samplers() {
    return Stream.of(Samplers.identity(), Samplers.random(0.3), Samplers.greedy(0.25),
        Samplers.approximateGreedy(0.4), Samplers.approximateGreedy(0.123456789, 5, 2));
  }

  @ParameterizedTest
  @MethodSource("samplers")
  void roundTrip_everySamplerAndAllLayers(Sampler sampler) throws IOException {
    List<FeatureMaps> train = List.of(FakeBackbone.maps(1), FakeBackbone.maps(2));
    try (PatchCoreModel model = PatchCore.builder().patchSize(1).pretrainDimension(5).targetDimension(4)
        .sampler(sampler).seed(-5).anomalyMapSigma(0).build().fitFeatures(train)) {
      try (PatchCoreModel loaded = ModelFile.read(bytesOf(model), "in-memory", null)) {
        assertSameConfiguration(model.configuration(), loaded.configuration());
        assertThat(loaded.configuration().layers()).isEmpty();
        assertThat(loaded.layers()).isEqualTo(List.of("a", "b"));
        assertThat(loaded.memoryBank()).containsExactly(model.memoryBank());
        assertSameScores(model, loaded, FakeBackbone.maps(3));
      }
    }
  }

  /** The version-1 layout, to the byte: the format must not drift when the code behind it changes. */
  @Test
  void written_isTheVersion1LayoutByteForByte() throws IOException {
    PatchCoreModel model = tinyV1();
    byte[] f = bytesOf(model);
    ByteBuffer b = ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN);
    assertThat(new String(f, 0, 8, StandardCharsets.US_ASCII)).isEqualTo("PATCHCOR");
    assertThat(b.getInt(8)).isEqualTo(1);
    String header = headerText(f);
    Matcher version = Pattern.compile("\"version\" : \"([^\"]+)\"").matcher(header);
    assertThat(version.find()).isTrue();
    assertThat(header).isEqualTo(String.join("\n", "{",
        "  \"library\" : {",
        "    \"name\" : \"patchcore\",",
        "    \"version\" : \"" + version.group(1) + "\"",
        "  },",
        "  \"createdAt\" : \"2025-01-01T00:00:00Z\",",
        "  \"backbone\" : null,",
        "  \"layers\" : [ ],",
        "  \"embeddingLayers\" : [ \"f\" ],",
        "  \"patchSize\" : 1,",
        "  \"patchStride\" : 1,",
        "  \"pretrainDimension\" : 8,",
        "  \"targetDimension\" : 8,",
        "  \"sampler\" : {",
        "    \"kind\" : \"identity\",",
        "    \"fraction\" : 1.0,",
        "    \"projection\" : 0,",
        "    \"starts\" : 0,",
        "    \"description\" : \"identity\"",
        "  },",
        "  \"neighbours\" : 1,",
        "  \"imageScoring\" : \"MAX\",",
        "  \"reweightingNeighbours\" : 9,",
        "  \"anomalyMapSigma\" : 4.0,",
        "  \"seed\" : 1,",
        "  \"training\" : {",
        "    \"candidatePatches\" : 50",
        "  },",
        "  \"bank\" : {",
        "    \"rows\" : 50,",
        "    \"dimension\" : 8,",
        "    \"encoding\" : \"float32-le\"",
        "  }",
        "}"));
    float[] bank = model.memoryBank();
    assertThat(f.length).isEqualTo(16 + headerLength(f) + 4 * bank.length + 4);
    for (int i = 0; i < bank.length; i++) {
      assertThat(b.getFloat(16 + headerLength(f) + 4 * i)).isEqualTo(bank[i]);
    }
    CRC32C crc = new CRC32C();
    crc.update(f, 0, f.length - 4);
    assertThat(Integer.toUnsignedLong(b.getInt(f.length - 4))).isEqualTo(crc.getValue());

    try (PatchCoreModel withBackbone = rich().backbone(new FakeBackbone("fb")).build()
        .fit(List.of(image(1), image(2)))) {
      assertThat(headerText(bytesOf(withBackbone))).contains(String.join("\n",
          "  \"backbone\" : {",
          "    \"id\" : \"fb\",",
          "    \"layers\" : [ \"a\", \"b\" ],",
          "    \"configuration\" : {",
          "      \"kind\" : \"fake\",",
          "      \"resize\" : \"256\"",
          "    }",
          "  },"));
    }
  }

  // ------------------------------------------------------------------ atomic save

  static UnaryOperator<OutputStream> failAfter(long bytes) {
    return out -> new FilterOutputStream(out) {
      long written;

      @Override
      public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        if (written + len > bytes) {
          out.write(b, off, (int) (bytes - written));
          written = bytes;
          throw new IOException("simulated disk failure after " + bytes + " bytes");
        }
        out.write(b, off, len);
        written += len;
      }
    };
  }

  @Test
  void save_replacesAnExistingModelAndLeavesNoTemporaryFile() throws IOException {
    Path file = dir.resolve("model.patchcore");
    try (PatchCoreModel a = tiny(); PatchCoreModel b = rich().build().fitFeatures(List.of(FakeBackbone.maps(1)))) {
      a.save(file);
      b.save(file);
      try (PatchCoreModel loaded = PatchCoreModel.load(file, null)) {
        assertThat(loaded.memoryBank()).containsExactly(b.memoryBank());
      }
      try (Stream<Path> files = Files.list(dir)) {
        assertThat(files).containsExactly(file);
      }
    }
  }

  @Test
  void save_failingMidWrite_keepsTheOldFileAndRemovesTheTemporaryFile() throws IOException {
    Path file = dir.resolve("model.patchcore");
    try (PatchCoreModel a = tiny(); PatchCoreModel b = rich().build().fitFeatures(List.of(FakeBackbone.maps(1)))) {
      a.save(file);
      for (long cut : new long[] {0, 10, 500, bytesOf(b).length - 1}) {
        assertThatThrownBy(() -> ModelFile.save(b, file, CREATED, failAfter(cut))).isInstanceOf(IOException.class)
            .hasMessageContaining(file.toString()).hasMessageContaining("simulated disk failure");
        try (PatchCoreModel loaded = PatchCoreModel.load(file, null)) {
          assertThat(loaded.memoryBank()).containsExactly(a.memoryBank());
        }
        try (Stream<Path> files = Files.list(dir)) {
          assertThat(files).containsExactly(file);
        }
      }
      Path fresh = dir.resolve("fresh.patchcore");
      assertThatThrownBy(() -> ModelFile.save(b, fresh, CREATED, failAfter(100))).isInstanceOf(IOException.class);
      assertThat(fresh).doesNotExist();
      try (Stream<Path> files = Files.list(dir)) {
        assertThat(files).containsExactly(file);
      }
    }
  }

  @Test
  void save_intoAMissingFolder_namesTheFile() throws IOException {
    Path file = dir.resolve("no/such/folder/model.patchcore");
    try (PatchCoreModel a = tiny()) {
      assertThatThrownBy(() -> a.save(file)).isInstanceOf(IOException.class).hasMessageContaining(file.toString());
    }
  }

  /** A save cut short leaves a prefix of the file; no prefix loads. */
  @Test
  void everyPrefixOfAModelFileIsRejected() throws IOException {
    try (PatchCoreModel a = tiny()) {
      byte[] full = bytesOf(a);
      for (int n = 0; n < full.length; n++) {
        byte[] prefix = Arrays.copyOf(full, n);
        assertThatThrownBy(() -> ModelFile.read(prefix, "cut", null)).isInstanceOf(ModelFormatException.class);
      }
      ModelFile.read(full, "full", null).close();
    }
  }

  // ------------------------------------------------------------------ rejections

  static String messageOf(byte[] file, FeatureExtractor backbone) {
    try (PatchCoreModel m = ModelFile.read(file, "bad.patchcore", backbone)) {
      throw new AssertionError("loaded " + m);
    } catch (ModelFormatException e) {
      assertThat(e.file()).isEqualTo("bad.patchcore");
      assertThat(e.getMessage()).startsWith("bad.patchcore: ");
      return e.getMessage();
    }
  }

  @Test
  void wrongMagic_isNotAModelFile() throws IOException {
    byte[] f = bytesOf(tiny());
    f[0] = 'X';
    assertThat(messageOf(f, null)).contains("not a PatchCore model file", "5841544348434f52");
    assertThat(messageOf("hello".getBytes(StandardCharsets.US_ASCII), null)).contains("not a PatchCore model file");
    assertThat(messageOf(new byte[0], null)).contains("empty file");
  }

  @Test
  void unknownVersion_namesTheVersion() throws IOException {
    byte[] f = bytesOf(tiny());
    ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN).putInt(8, 3);
    assertThat(messageOf(f, null)).contains("unsupported model format version 3", "reads versions 1 to 2");
  }

  @Test
  void provenanceInAVersion1File_isRejected() throws IOException {
    byte[] f = bytesOf(tiny());
    ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN).putInt(8, 1);
    assertThat(messageOf(withChecksum(f), null)).contains("'provenance'", "needs model format version 2",
        "version 1");
  }

  @Test
  void fileOnDisk_errorsNameThePath() throws IOException {
    byte[] f = bytesOf(tinyV1());
    ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN).putInt(8, 99);
    Path file = dir.resolve("future.patchcore");
    Files.write(file, f);
    assertThatThrownBy(() -> PatchCoreModel.load(file, null)).isInstanceOf(ModelFormatException.class)
        .hasMessage(file + ": unsupported model format version 99; this library reads versions 1 to 2");
  }

  @Test
  void damagedBank_failsTheChecksum() throws IOException {
    byte[] f = bytesOf(tiny());
    f[f.length - 100] ^= 0x10;
    assertThat(messageOf(f, null)).contains("checksum mismatch");
    byte[] g = bytesOf(tiny());
    g[g.length - 1] ^= 0x01;
    assertThat(messageOf(g, null)).contains("checksum mismatch");
  }

  @Test
  void truncatedOrExtended_namesTheSizes() throws IOException {
    byte[] f = bytesOf(tinyV1());
    int bankBytes = 50 * 8 * 4;
    assertThat(messageOf(Arrays.copyOf(f, f.length - 10), null)).contains("50 x 8", "needs " + bankBytes,
        "has " + (bankBytes - 10), "the file is damaged");
    assertThat(messageOf(Arrays.copyOf(f, f.length + 3), null)).contains("has " + (bankBytes + 3));
    assertThat(messageOf(Arrays.copyOf(f, 20), null)).contains("truncated");
  }

  @Test
  void backboneMismatch_namesBothIds() throws IOException {
    FakeBackbone fitted = new FakeBackbone("mobilenet sha256=aaaa");
    byte[] f;
    try (PatchCoreModel m = rich().backbone(fitted).build().fit(List.of(image(1)))) {
      f = bytesOf(m);
    }
    assertThat(messageOf(f, new FakeBackbone("mobilenet sha256=bbbb"))).contains("'mobilenet sha256=aaaa'",
        "'mobilenet sha256=bbbb'");
    ModelFile.read(f, "ok", fitted).close();
    ModelFile.read(f, "ok", null).close();

    byte[] noBackbone = bytesOf(tiny());
    assertThat(messageOf(noBackbone, fitted)).contains("without a backbone", "mobilenet sha256=aaaa");
  }

  @Test
  void headerFieldsOutOfRange_nameFieldAndValue() throws IOException {
    byte[] f = bytesOf(tiny());
    String h = headerText(f);
    assertThat(messageOf(withHeader(f, setField(h, "patchSize", "4"), true), null)).contains("'patchSize'", "4");
    assertThat(messageOf(withHeader(f, setField(h, "neighbours", "51"), true), null)).contains("'neighbours'", "51");
    assertThat(messageOf(withHeader(f, setField(h, "anomalyMapSigma", "-1.0"), true), null))
        .contains("'anomalyMapSigma'", "-1.0");
    assertThat(messageOf(withHeader(f, setField(h, "kind", "\"magic\""), true), null)).contains("magic");
    assertThat(messageOf(withHeader(f, setField(h, "imageScoring", "\"MEAN\""), true), null))
        .contains("'imageScoring'", "MEAN");
    assertThat(messageOf(withHeader(f, h.replace("\"seed\"", "\"sead\""), true), null))
        .contains("'seed' is missing").doesNotContain("does not match");
    assertThat(messageOf(withHeader(f, h.replace("\"seed\"", "\"sead\""), false), null))
        .contains("'seed' is missing", "checksum does not match either: the file is damaged");
    assertThat(messageOf(withHeader(f, "[1, 2]", true), null)).contains("not a JSON object");
    assertThat(messageOf(withHeader(f, "{\"a\": ", true), null)).contains("not valid JSON");
    assertThat(messageOf(withHeader(f, h + "{}", true), null)).contains("not valid JSON");
    assertThat(messageOf(withHeader(f, "{\"a\":1,\"a\":2}", true), null)).contains("not valid JSON", "a");
    assertThat(messageOf(withHeader(f, "{\"\u00ff\":1}", true), null)).contains("'bank' is missing");
    byte[] latin1 = withHeader(f, "{\"x\":1}", false);
    latin1[18] = (byte) 0xff;
    assertThat(messageOf(withChecksum(latin1), null)).contains("not valid UTF-8");
    assertThat(messageOf(withHeader(f, "[".repeat(100_000), true), null)).contains("not valid JSON");
  }

  static long allocatedBytes() {
    return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
  }

  @Test
  void inflatedSizes_areRejectedWithoutAllocating() throws IOException {
    byte[] f = bytesOf(tinyV1());
    ModelFile.read(f, "warm-up", null).close();
    String h = headerText(f);
    byte[] rows1e8 = withHeader(f, setField(h, "rows", "100000000"), true); // 3.2 GB claimed
    byte[] rows1e12 = withHeader(f, setField(h, "rows", "1000000000000"), true);
    byte[] huge = withHeader(f, setField(setField(setField(h, "rows", "2147483647"), "dimension", "2147483647"),
        "targetDimension", "2147483647"), true);
    byte[] headerLength = f.clone();
    ByteBuffer.wrap(headerLength).order(ByteOrder.LITTLE_ENDIAN).putInt(12, Integer.MAX_VALUE);
    byte[] headerLengthMiB = f.clone();
    ByteBuffer.wrap(headerLengthMiB).order(ByteOrder.LITTLE_ENDIAN).putInt(12, 1 << 20);

    long before = allocatedBytes();
    String m1 = messageOf(rows1e8, null);
    String m2 = messageOf(rows1e12, null);
    String m3 = messageOf(huge, null);
    String m4 = messageOf(headerLength, null);
    String m5 = messageOf(headerLengthMiB, null);
    long allocated = allocatedBytes() - before;

    assertThat(m1).contains("100000000 x 8", "needs 3200000000 bytes", "has 1600").doesNotContain("does not match");
    assertThat(m2).contains("'bank.rows'", "1000000000000");
    assertThat(m3).contains("2147483647 x 2147483647", "exceeds");
    assertThat(m4).contains("header length 2147483647 is out of range");
    assertThat(m5).contains("truncated", "1048576");
    assertThat(allocated).as("bytes allocated while rejecting").isLessThan(8L << 20);
  }

  @Test
  void nonFiniteBankValue_isRejected() throws IOException {
    byte[] f = bytesOf(tiny());
    ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN).putFloat(16 + headerLength(f) + 4 * 9, Float.NaN);
    assertThat(messageOf(withChecksum(f), null)).contains("NaN", "row 1, column 1");
  }

  // ------------------------------------------------------------------ fuzz

  /**
   * 10,000 seeded corruptions of a 50 x 8 model. Plain corruptions must be rejected (or load only
   * when the bytes did not change); crafted edits that also fix the checksum may load, but every
   * failure must be a ModelFormatException, never another exception, an Error or a hang.
   */
  @Test
  void fuzz_corruptionsEndInModelFormatException() throws IOException {
    byte[] base = bytesOf(tiny());
    String header = headerText(base);
    String[] fields = {"rows", "dimension", "targetDimension", "pretrainDimension", "patchSize", "patchStride",
        "neighbours", "reweightingNeighbours", "candidatePatches", "anomalyMapSigma", "fraction", "projection",
        "starts", "seed", "kind", "imageScoring", "layers", "embeddingLayers", "backbone", "createdAt", "encoding"};
    String[] values = {"0", "-1", "1", "3", "7", "50", "2147483647", "2147483648", "-2147483648", "1000000000000",
        "9223372036854775808", "1e308", "1e999", "-0.0", "0.5", "NaN", "null", "true", "[]", "{}", "[\"f\"]",
        "[\"f\", \"f\"]", "\"\"", "\"identity\"", "\"REWEIGHTED\"", "\"x\"", "[[[[[[1]]]]]]", "{\"id\": \"q\"}"};
    assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
      SplittableRandom rnd = new SplittableRandom(20250101);
      int loaded = 0;
      for (int i = 0; i < 10_000; i++) {
        byte[] f = base.clone();
        boolean crafted = false;
        String what;
        switch (rnd.nextInt(8)) {
          case 0 -> {
            int flips = 1 + rnd.nextInt(3);
            for (int j = 0; j < flips; j++) {
              int pos = rnd.nextInt(f.length);
              f[pos] ^= (byte) (1 << rnd.nextInt(8));
            }
            what = flips + " bit flips";
          }
          case 1 -> {
            f = Arrays.copyOf(f, rnd.nextInt(f.length));
            what = "truncated to " + f.length;
          }
          case 2 -> {
            int pos = rnd.nextInt(f.length);
            int len = Math.min(f.length - pos, 1 + rnd.nextInt(16));
            for (int j = 0; j < len; j++) {
              f[pos + j] = (byte) rnd.nextInt(256);
            }
            what = len + " random bytes at " + pos;
          }
          case 3 -> {
            int[] special = {0, 1, -1, 2, Integer.MAX_VALUE, Integer.MIN_VALUE, 1 << 20, (1 << 20) + 1,
                headerLength(base) + 1, headerLength(base) - 1, rnd.nextInt()};
            int at = rnd.nextBoolean() ? 8 : 12;
            int v = special[rnd.nextInt(special.length)];
            ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN).putInt(at, v);
            what = "int at " + at + " set to " + v;
          }
          case 4 -> {
            String field = fields[rnd.nextInt(fields.length)];
            String value = values[rnd.nextInt(values.length)];
            crafted = rnd.nextBoolean();
            f = withHeader(f, setField(header, field, value), crafted);
            what = "field " + field + " = " + value + (crafted ? " (checksum fixed)" : "");
          }
          case 5 -> {
            int n = 1 + rnd.nextInt(64);
            f = Arrays.copyOf(f, f.length + n);
            for (int j = f.length - n; j < f.length; j++) {
              f[j] = (byte) rnd.nextInt(256);
            }
            what = n + " bytes appended";
          }
          case 6 -> {
            int pos = rnd.nextInt(f.length);
            int n = 1 + rnd.nextInt(8);
            byte[] g;
            if (rnd.nextBoolean() && pos + n <= f.length) {
              g = new byte[f.length - n];
              System.arraycopy(f, 0, g, 0, pos);
              System.arraycopy(f, pos + n, g, pos, f.length - pos - n);
              what = n + " bytes deleted at " + pos;
            } else {
              g = new byte[f.length + n];
              System.arraycopy(f, 0, g, 0, pos);
              for (int j = 0; j < n; j++) {
                g[pos + j] = (byte) rnd.nextInt(256);
              }
              System.arraycopy(f, pos, g, pos + n, f.length - pos);
              what = n + " bytes inserted at " + pos;
            }
            f = g;
          }
          default -> {
            // a random header byte changed, then the length and checksum made consistent
            byte[] h = header.getBytes(StandardCharsets.UTF_8);
            h[rnd.nextInt(h.length)] = (byte) (32 + rnd.nextInt(95));
            f = withHeader(f, new String(h, StandardCharsets.UTF_8), true);
            crafted = true;
            what = "header byte changed (checksum fixed)";
          }
        }
        try (PatchCoreModel m = ModelFile.read(f, "fuzz", null)) {
          if (!crafted && !Arrays.equals(f, base)) {
            fail("corruption #" + i + " (" + what + ") loaded: " + m);
          }
          loaded++;
        } catch (ModelFormatException expected) {
          if (Arrays.equals(f, base)) {
            fail("unchanged file #" + i + " (" + what + ") rejected: " + expected.getMessage());
          }
          assertThat(expected.getMessage()).startsWith("fuzz: ");
        } catch (Throwable t) {
          throw new AssertionError("corruption #" + i + " (" + what + ") threw " + t, t);
        }
      }
      assertThat(loaded).as("files that loaded").isLessThan(10_000);
    });
  }

  // ------------------------------------------------------------------ the version-1 fixture

  /**
   * Writes {@code src/test/resources/models/v1-fixture.patchcore}; run it only to recreate the
   * fixture (the committed one must keep loading as it is):
   * {@code mvn -B -pl patchcore-core test-compile exec:java -Dexec.classpathScope=test
   * -Dexec.mainClass=io.patchcore.ModelFileTest} (from the module folder's parent, with the
   * working directory at the module), then update the expected values in
   * {@link #fixture_version1_stillLoads()} from its output. Not a test: a generator.
   */
  public static void main(String[] args) throws IOException {
    new ModelFileTest().writeFixture();
  }

  void writeFixture() throws IOException {
    FakeBackbone backbone = new FakeBackbone("fixture-backbone sha256=00112233");
    try (PatchCoreModel model = rich().backbone(backbone).build().fit(List.of(image(1), image(2)))) {
      Path file = Paths.get("src/test/resources/models/v1-fixture.patchcore");
      Files.createDirectories(file.getParent());
      ModelFile.save(model, file, CREATED, UnaryOperator.identity());
      float[] bank = model.memoryBank();
      double sum = 0;
      for (float v : bank) {
        sum += v;
      }
      System.out.println("fixture written: " + file.toAbsolutePath() + ", bank " + model.bankSize() + "x"
          + model.dimension() + ", first row " + Arrays.toString(Arrays.copyOf(bank, 6)) + ", sum " + sum
          + ", score of image 5 " + model.score(image(5)).score());
    }
  }

  @Test
  void fixture_version1_stillLoads() throws IOException {
    byte[] bytes;
    try (InputStream in = ModelFileTest.class.getResourceAsStream(FIXTURE)) {
      assertThat(in).as("fixture " + FIXTURE).isNotNull();
      bytes = in.readAllBytes();
    }
    assertThat(new String(bytes, 0, 8, StandardCharsets.US_ASCII)).isEqualTo("PATCHCOR");
    assertThat(ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getInt(8)).isEqualTo(1);
    String header = headerText(bytes);
    assertThat(header).contains("\"createdAt\" : \"2025-01-01T00:00:00Z\"", "\"encoding\" : \"float32-le\"");

    FakeBackbone backbone = new FakeBackbone("fixture-backbone sha256=00112233");
    try (PatchCoreModel model = ModelFile.read(bytes, FIXTURE, backbone)) {
      PatchCore c = model.configuration();
      assertThat(c.layers()).containsExactly("a", "b");
      assertThat(c.patchSize()).isEqualTo(3);
      assertThat(c.patchStride()).isEqualTo(1);
      assertThat(c.pretrainDimension()).isEqualTo(8);
      assertThat(c.targetDimension()).isEqualTo(6);
      assertThat(c.sampler().description()).isEqualTo("approx-greedy(p=0.5, projection=4, starts=3)");
      assertThat(c.neighbours()).isEqualTo(2);
      assertThat(c.imageScoring()).isEqualTo(ImageScoring.REWEIGHTED);
      assertThat(c.reweightingNeighbours()).isEqualTo(3);
      assertThat(c.anomalyMapSigma()).isEqualTo(1.5);
      assertThat(c.seed()).isEqualTo(7);
      assertThat(model.layers()).containsExactly("a", "b");
      assertThat(model.bankSize()).isEqualTo(36);
      assertThat(model.candidateSize()).isEqualTo(72);
      assertThat(model.dimension()).isEqualTo(6);
      float[] bank = model.memoryBank();
      assertThat(Arrays.copyOf(bank, 6)).containsExactly(FIXTURE_FIRST_ROW);
      double sum = 0;
      for (float v : bank) {
        sum += v;
      }
      assertThat(sum).isEqualTo(FIXTURE_BANK_SUM);
      assertThat(model.score(image(5)).score()).isFinite();
    }
    assertThat(messageOf(bytes, new FakeBackbone("other"))).contains("fixture-backbone sha256=00112233", "'other'");
  }

  // printed by writeFixture when the fixture was made
  static final float[] FIXTURE_FIRST_ROW = {0.25258023f, -0.0888142f, 0.04297183f, -0.055330154f, -0.040871866f,
    -0.03815229f};
  static final double FIXTURE_BANK_SUM = -3.599845559876485;
}
