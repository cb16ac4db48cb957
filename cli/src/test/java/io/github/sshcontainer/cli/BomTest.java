package io.github.sshcontainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import javax.xml.parsers.DocumentBuilderFactory;

import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * The BOM manages every published artifact of this build and nothing else, at the build's version; published
 * artifacts carry the Maven Central metadata (inherited from the parent) and an {@code Automatic-Module-Name}.
 */
class BomTest {
    private static final Path ROOT = Path.of(System.getProperty("basedir", ".")).toAbsolutePath().getParent();

    @Test
    void theBomListsEveryPublishedModuleAndNothingElse() throws Exception {
        Document bom = read(ROOT.resolve("bom/pom.xml"));
        Map<String, String> managed = new TreeMap<>();
        Element depMgmt = child(bom.getDocumentElement(), "dependencyManagement");
        for (Element dep : children(child(depMgmt, "dependencies"), "dependency")) {
            managed.put(text(dep, "artifactId"), text(dep, "version"));
        }
        Map<String, String> published = new TreeMap<>();
        for (Element module : children(child(read(ROOT.resolve("pom.xml")).getDocumentElement(), "modules"), "module")) {
            String dir = module.getTextContent().trim();
            if (dir.equals("bom")) {
                continue;
            }
            Element project = read(ROOT.resolve(dir).resolve("pom.xml")).getDocumentElement();
            Element properties = child(project, "properties");
            boolean unpublished = properties != null && child(properties, "maven.deploy.skip") != null
                    && text(properties, "maven.deploy.skip").equals("true");
            if (!unpublished) {
                published.put(text(project, "artifactId"), dir);
                assertTrue(properties != null && child(properties, "module.name") != null,
                        dir + " sets module.name (its Automatic-Module-Name)");
            }
        }
        assertFalse(published.isEmpty());
        assertEquals(published.keySet(), managed.keySet(), "the BOM's artifacts are the published modules: " + published);
        managed.forEach((artifact, version) -> assertEquals("${project.version}", version, artifact));
    }

    @Test
    void theParentAndTheBomCarryCentralsMetadata() throws Exception {
        for (String pom : List.of("pom.xml", "bom/pom.xml")) {
            Element project = read(ROOT.resolve(pom)).getDocumentElement();
            for (String required : List.of("name", "description", "url", "licenses", "developers", "scm")) {
                assertTrue(child(project, required) != null, pom + " has <" + required + ">");
            }
        }
    }

    private static Document read(Path pom) throws Exception {
        assertTrue(Files.isRegularFile(pom), pom + " (tests run from the module directory)");
        return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(pom.toFile());
    }

    private static Element child(Element parent, String name) {
        List<Element> found = children(parent, name);
        return found.isEmpty() ? null : found.get(0);
    }

    private static List<Element> children(Element parent, String name) {
        List<Element> result = new ArrayList<>();
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && e.getTagName().equals(name)) {
                result.add(e);
            }
        }
        return result;
    }

    private static String text(Element parent, String name) {
        Element e = child(parent, name);
        return e == null ? "" : e.getTextContent().trim();
    }
}
