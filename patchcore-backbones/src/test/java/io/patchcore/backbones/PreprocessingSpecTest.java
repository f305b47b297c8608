package io.patchcore.backbones;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/** The text form and configuration entries of {@link PreprocessingSpec}. */
class PreprocessingSpecTest {
  static final Normalization CUSTOM =
      Normalization.of(new float[] {0.5f, 0.4f, 0.3f}, new float[] {0.2f, 0.2f, 0.25f});

  /** Every combination of resize, crop and normalisation (named and custom). */
  static List<PreprocessingSpec> all() {
    List<PreprocessingSpec> out = new ArrayList<>();
    for (Normalization n : List.of(Normalization.NONE, Normalization.IMAGENET, Normalization.HNE, CUSTOM)) {
      PreprocessingSpec p = PreprocessingSpec.NONE.withNormalization(n);
      out.add(p);
      out.add(p.withResize(256));
      out.add(p.withCrop(224));
      out.add(p.withResize(256).withCrop(224));
      out.add(p.withResize(1).withCrop(1));
    }
    return out;
  }

  @Test
  void everySpecRoundTripsThroughTextAndConfiguration() {
    for (PreprocessingSpec spec : all()) {
      assertThat(PreprocessingSpec.parse(spec.toString())).as(spec.toString()).isEqualTo(spec);
      assertThat(PreprocessingSpec.fromConfiguration(spec.toConfiguration())).as(spec.toString()).isEqualTo(spec);
      assertThat(PreprocessingSpec.parse(spec.toString()).toString()).isEqualTo(spec.toString());
    }
  }

  @Test
  void textForm() {
    assertThat(PreprocessingSpec.NONE).hasToString("normalize=none");
    assertThat(PreprocessingSpec.NONE.withResize(256).withCrop(224).withNormalization(Normalization.IMAGENET))
        .hasToString("resize=256,crop=224,normalize=imagenet");
    assertThat(PreprocessingSpec.NONE.withCrop(299).withNormalization(Normalization.HNE))
        .hasToString("crop=299,normalize=he");
    assertThat(PreprocessingSpec.NONE.withNormalization(CUSTOM))
        .hasToString("normalize=custom,mean=[0.5,0.4,0.3],std=[0.2,0.2,0.25]");
    // any order, whitespace, and custom statistics equal to a named set are that set
    PreprocessingSpec p = PreprocessingSpec.parse(
        " normalize = custom , std=[ 0.1820, 0.1836,0.1473 ], crop = 224,mean=[0.6444,0.4477,0.6041], resize=256 ");
    assertThat(p).isEqualTo(new PreprocessingSpec(OptionalInt.of(256), OptionalInt.of(224), Normalization.HNE));
    assertThat(p).hasToString("resize=256,crop=224,normalize=he");
    assertThat(PreprocessingSpec.parse("resize=256")).isEqualTo(PreprocessingSpec.NONE.withResize(256));
    assertThat(PreprocessingSpec.parse("")).isEqualTo(PreprocessingSpec.NONE);
  }

  @Test
  void configurationEntriesAreTheOnesUsedInModelFiles() {
    assertThat(PreprocessingSpec.NONE.toConfiguration()).containsExactlyEntriesOf(Map.of("normalize", "none"));
    assertThat(PreprocessingSpec.parse("resize=256,crop=224,normalize=imagenet").toConfiguration())
        .containsExactlyInAnyOrderEntriesOf(Map.of("resize", "256", "crop", "224", "normalize", "imagenet"));
    assertThat(PreprocessingSpec.NONE.withNormalization(Normalization.HNE).toConfiguration())
        .containsExactlyInAnyOrderEntriesOf(Map.of("normalize", "he"));
    assertThat(PreprocessingSpec.NONE.withNormalization(CUSTOM).toConfiguration())
        .containsExactlyInAnyOrderEntriesOf(Map.of("normalize", "custom", "mean", "0.5,0.4,0.3", "std", "0.2,0.2,0.25"));
    // other keys of a backbone configuration are ignored; normalize may be absent
    assertThat(PreprocessingSpec.fromConfiguration(Map.of("kind", "default", "layers", "a,b", "crop", "224")))
        .isEqualTo(PreprocessingSpec.NONE.withCrop(224));
  }

  @Test
  void namedNormalizations() {
    assertThat(PreprocessingSpec.normalization("none")).isSameAs(Normalization.NONE);
    assertThat(PreprocessingSpec.normalization("imagenet")).isSameAs(Normalization.IMAGENET);
    assertThat(PreprocessingSpec.normalization("he")).isSameAs(Normalization.HNE);
    assertThatThrownBy(() -> PreprocessingSpec.normalization("hne")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'hne'");
    assertThatThrownBy(() -> PreprocessingSpec.normalization("custom")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'custom'").hasMessageContaining("mean and std");
  }

  private static void refusedText(String text, String... named) {
    assertThatThrownBy(() -> PreprocessingSpec.parse(text)).as(text).isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("preprocessing '" + text + "': ").hasMessageContainingAll(named);
  }

  @Test
  void invalidTextIsRefusedNamingTheValue() {
    refusedText("resize=abc", "'resize'", "'abc'");
    refusedText("resize=0", "'resize'", "'0'");
    refusedText("crop=-3", "'crop'", "'-3'");
    refusedText("resize=", "'resize'", "''");
    refusedText("normalize=fancy", "'normalize'", "'fancy'");
    refusedText("normalize=imagenet,mean=[0.5,0.5,0.5]", "'mean'", "normalize=imagenet");
    refusedText("normalize=custom,std=[1,1,1]", "'mean' is missing");
    refusedText("normalize=custom,mean=[1,2],std=[1,1,1]", "'mean'", "'1,2'");
    refusedText("normalize=custom,mean=[1,2,x],std=[1,1,1]", "'mean'", "'x'");
    refusedText("normalize=custom,mean=[0,0,0],std=[1,0,1]", "std [1.0, 0.0, 1.0]");
    refusedText("normalize=custom,mean=[0,0,NaN],std=[1,1,1]", "NaN");
    refusedText("colour=red", "[colour]");
    refusedText("resize=256,resize=224", "'resize' given twice");
    refusedText("resize=[256]", "'resize'", "one value");
    refusedText("256", "'256'", "key=value");
    refusedText("resize=256,", "empty item");
    refusedText("resize=256 crop=224", "'resize'", "'256 crop=224'");
    refusedText("normalize=\"imagenet", "quote");
    refusedText("normalize=custom,mean=[0.5,0.5,0.5,std=[1,1,1]", "'['");
  }

  @Test
  void invalidConfigurationValuesAreRefusedNamingTheValue() {
    assertThatThrownBy(() -> PreprocessingSpec.fromConfiguration(Map.of("resize", "x")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContainingAll("'resize'", "'x'");
    assertThatThrownBy(() -> PreprocessingSpec.fromConfiguration(Map.of("normalize", "Imagenet")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'Imagenet'");
    assertThatThrownBy(() -> PreprocessingSpec.fromConfiguration(Map.of("normalize", "custom", "mean", "1,2,3")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'std' is missing");
    assertThatThrownBy(() -> PreprocessingSpec.fromConfiguration(
        Map.of("normalize", "custom", "mean", "1,2,3", "std", "1;1;1")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContainingAll("'std'", "'1;1;1'");
  }

  @Test
  void constructorAndWithersCheckValues() {
    assertThatThrownBy(() -> PreprocessingSpec.NONE.withResize(0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("got 0");
    assertThatThrownBy(() -> PreprocessingSpec.NONE.withCrop(-2)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("got -2");
    assertThatThrownBy(() -> PreprocessingSpec.NONE.withNormalization(null)).isInstanceOf(NullPointerException.class);
  }

  @Test
  void preprocessingFollowsTheSpec() {
    Preprocessing p = new Preprocessing(PreprocessingSpec.parse("resize=256,crop=224,normalize=he"));
    assertThat(p).hasToString(new Preprocessing(256, 224, Normalization.HNE).toString());
    assertThat(new Preprocessing(PreprocessingSpec.NONE))
        .hasToString("Preprocessing[resize=off, crop=off, Normalization[none]]");
  }
}
